using System.Diagnostics;
using AgentFleet.ServiceDefaults.Security;
using Microsoft.Extensions.Configuration;

namespace AgentFleet.ServiceDefaults.Tests;

/// <summary>The per-session key: what it says survives the round trip, and nothing in it can be changed.</summary>
public sealed class SessionKeysTests
{
    private static readonly SessionKeys Keys = new(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["SessionKeys:Secret"] = "s3cret" }).Build());

    [Fact]
    public void ABudgetAndATraceComeBackAsIssued()
    {
        var session = Guid.NewGuid().ToString();
        var trace = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);

        Assert.Equal(new SessionKey(session, null), Keys.Verify(Keys.Issue(session)));
        Assert.Equal(new SessionKey(session, 1.5m), Keys.Verify(Keys.Issue(session, 1.5m)));
        var both = Keys.Verify(Keys.Issue(session, 0.25m, trace))!;
        Assert.Equal((session, 0.25m), (both.SessionId, both.BudgetUsd));
        Assert.Equal(trace.TraceId, both.Trace!.Value.TraceId);
        Assert.Equal(trace.SpanId, both.Trace.Value.SpanId);
    }

    [Fact]
    public void ThePayingKeyAndItsBudgetComeBackAsIssuedAndCannotBeRaised()
    {
        var session = Guid.NewGuid().ToString();
        var keyId = Guid.NewGuid().ToString();
        var monthly = Keys.Verify(Keys.Issue(session, null, null, new PayingKey(keyId, 50m)))!;
        Assert.Equal(new PayingKey(keyId, 50m, Monthly: true), monthly.Payer);
        Assert.Equal(new PayingKey("admin", null), Keys.Verify(Keys.Issue(session, 1m, null, new PayingKey("admin")))!.Payer);
        var total = Keys.Issue(session, null, null, new PayingKey(keyId, 0.5m, Monthly: false));
        Assert.Equal(new PayingKey(keyId, 0.5m, Monthly: false), Keys.Verify(total)!.Payer);

        Assert.Null(Keys.Verify(total.Replace("_p500000t_", "_p900000000t_")));
        Assert.Null(Keys.Verify(total.Replace($"_k{keyId}_", $"_k{Guid.NewGuid()}_")));
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), monthly.Payer!.PeriodStart(new DateTimeOffset(2026, 12, 3, 15, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void TheSharedBudgetsSessionComesBackAsIssuedAndCannotBeSwapped()
    {
        var child = Guid.NewGuid().ToString();
        var root = Guid.NewGuid();
        var key = Keys.Issue(child, 0.5m, null, new PayingKey("admin"), root);
        var verified = Keys.Verify(key)!;
        Assert.Equal(root, verified.BudgetSession);
        Assert.Equal(root, verified.BudgetGroup);
        // Without a shared budget, a session's spending is its own.
        Assert.Equal(Guid.Parse(child), Keys.Verify(Keys.Issue(child, 0.5m))!.BudgetGroup);
        // Pointing the key at another tree's budget, or dropping the pointer, breaks the signature.
        Assert.Null(Keys.Verify(key.Replace($"_r{root:N}_", $"_r{Guid.NewGuid():N}_")));
        Assert.Null(Keys.Verify(key.Replace($"_r{root:N}_", "_")));
    }

    [Fact]
    public void AKeyWhosePartsAreChangedOrDroppedIsNotOurs()
    {
        var session = Guid.NewGuid().ToString();
        var trace = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        var key = Keys.Issue(session, 0.25m, trace);
        var parts = key.Split('_');

        // A raised budget, another trace, a dropped budget: each breaks the signature.
        Assert.Null(Keys.Verify(key.Replace("_b250000_", "_b990000000_")));
        Assert.Null(Keys.Verify(key.Replace(parts[3], "t" + ActivityTraceId.CreateRandom().ToHexString() + ActivitySpanId.CreateRandom().ToHexString())));
        Assert.Null(Keys.Verify(string.Join('_', parts.Where((_, i) => i != 2))));
        Assert.Null(Keys.Verify("fsk_" + Guid.NewGuid().ToString("N") + "_" + parts[^1]));
        Assert.Null(Keys.Verify("sk-ant-not-ours"));
    }
}
