namespace AgentFleet.ServiceDefaults.Problems;

/// <summary>Caller input quoted in an error message, cut short: an answer never grows with what was sent.</summary>
public static class Bounded
{
    public const int EchoLength = 80;

    /// <summary>The text itself when short; else its start, an ellipsis and its full length.</summary>
    public static string Echo(string? text, int maxLength = EchoLength) =>
        text is null ? "" : text.Length <= maxLength ? text : $"{text[..maxLength]}… ({text.Length} characters)";
}
