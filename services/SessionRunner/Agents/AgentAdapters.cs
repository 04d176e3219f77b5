namespace AgentFleet.SessionRunner.Agents;

/// <summary>The registered agent kinds, by the name clients use.</summary>
public sealed class AgentAdapters(IEnumerable<IAgentAdapter> adapters)
{
    private readonly Dictionary<string, IAgentAdapter> _byKind = adapters.ToDictionary(a => a.Kind, StringComparer.Ordinal);

    public IReadOnlyCollection<string> Kinds => _byKind.Keys;

    public IAgentAdapter? Find(string kind) => _byKind.GetValueOrDefault(kind);
}
