using System.Text.Json;

namespace AgentFleet.AppHost.Tests;

/// <summary>One entry of <c>.fleet/apphost/resources.json</c>, as scripts read it.</summary>
public sealed record ResourceState(string Name, string Kind, string State, string Health, int? Pid, int Restarts, IReadOnlyDictionary<string, string> Endpoints);

public static class ResourceSnapshot
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IReadOnlyList<ResourceState> Read(string fleetHome)
    {
        var path = Path.Combine(fleetHome, "apphost", "resources.json");
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<List<ResourceState>>(File.ReadAllText(path), Json) ?? [] : [];
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            return [];
        }
    }

    /// <summary>Every process resource healthy, and every one-shot one (the agent CLIs' install) finished.</summary>
    public static bool AllUp(IReadOnlyList<ResourceState> snapshot) =>
        snapshot.Count > 0 && snapshot.All(r => r.Health == "Healthy" || (r.Kind == "agentclis" && r.State == "Finished"));

    /// <summary>Polls the snapshot until <paramref name="condition"/> holds.</summary>
    public static async Task<IReadOnlyList<ResourceState>> WaitForAsync(string fleetHome, Func<IReadOnlyList<ResourceState>, bool> condition, TimeSpan timeout, string what, Func<string>? context = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var snapshot = Read(fleetHome);
            if (snapshot.Count > 0 && condition(snapshot))
            {
                return snapshot;
            }
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
        Assert.Fail($"Timed out waiting until {what}.\nSnapshot: {JsonSerializer.Serialize(Read(fleetHome))}\n{context?.Invoke()}");
        return [];
    }
}
