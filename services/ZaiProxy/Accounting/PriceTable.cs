namespace AgentFleet.ZaiProxy.Accounting;

/// <summary>US dollars per million tokens of each kind.</summary>
public sealed record ModelPrice(decimal Input, decimal Output, decimal CacheWrite, decimal CacheRead);

/// <summary>
/// Prices by model name prefix from <c>Pricing</c> in configuration (the longest matching prefix wins, <c>*</c> is the
/// fallback), so a new model dated suffix needs no change and a deployment sets its own contract prices.
/// </summary>
public sealed class PriceTable(IConfiguration configuration)
{
    private readonly List<(string Prefix, ModelPrice Price)> _prices = [.. configuration.GetSection("Pricing").GetChildren()
        .Select(section => (section.Key, new ModelPrice(
            section.GetValue<decimal>("Input"), section.GetValue<decimal>("Output"),
            section.GetValue<decimal>("CacheWrite"), section.GetValue<decimal>("CacheRead"))))
        .OrderByDescending(p => p.Key.Length)];

    public ModelPrice For(string model) =>
        _prices.FirstOrDefault(p => p.Prefix != "*" && model.StartsWith(p.Prefix, StringComparison.OrdinalIgnoreCase)).Price
        ?? _prices.FirstOrDefault(p => p.Prefix == "*").Price
        ?? new ModelPrice(0, 0, 0, 0);

    public decimal Cost(UsageTally usage)
    {
        var price = For(usage.Model ?? "");
        return (usage.InputTokens * price.Input + usage.OutputTokens * price.Output
            + usage.CacheCreationTokens * price.CacheWrite + usage.CacheReadTokens * price.CacheRead) / 1_000_000m;
    }
}
