using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFleet.ServiceDefaults.Security;
using AgentFleet.Sessions.Tests.Fixtures;

namespace AgentFleet.Sessions.Tests;

/// <summary>
/// Usage reports from ZaiProxy's records of the real CLI's calls to the simulated model, and API keys whose budget,
/// once spent, stops their sessions' next model call and their next session.
/// </summary>
public sealed class UsageAndBudgetTests(SessionsFixture infrastructure)
{
    private const string WriteFile = "Create the file.\n#sim tool Write {\"file_path\": \"note.txt\", \"content\": \"noted\\n\"}";

    [Fact]
    public async Task UsageGroupedBySessionKeyModelAndDayMatchesWhatTheModelReported()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        var key = await CreateKeyAsync(fleet, "usage-owner", null, null, ct);
        using var owner = fleet.ClientAs(new CallerIdentity(key, "usage-owner", CallerRole.Operator));
        using var stranger = fleet.ClientAs(new CallerIdentity("key-stranger", "stranger", CallerRole.Operator));

        var id = await StartAsync(owner, ct);
        var session = await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) == "completed", ct, seconds: 120);
        var reported = session["usage"]!;
        // Rows are written in batches: wait until this session's are all in.
        await infrastructure.ProxyUsageAsync(Guid.Parse(id), expected: 2, ct);

        var bySession = await UsageAsync(owner, "session", ct);
        var line = bySession["items"]!.AsArray().Single(l => l!["group"]!.GetValue<string>() == id)!;
        Assert.Equal(reported["inputTokens"]!.GetValue<long>(), line["inputTokens"]!.GetValue<long>());
        Assert.Equal(reported["outputTokens"]!.GetValue<long>(), line["outputTokens"]!.GetValue<long>());
        Assert.True(line["costUsd"]!.GetValue<double>() > 0);
        Assert.True(line["calls"]!.GetValue<long>() >= 2);

        var byKey = await UsageAsync(owner, "key", ct);
        var keyLine = Assert.Single(byKey["items"]!.AsArray())!;
        Assert.Equal(key, keyLine["group"]!.GetValue<string>());
        Assert.Equal(line["outputTokens"]!.GetValue<long>(), keyLine["outputTokens"]!.GetValue<long>());
        var byDay = await UsageAsync(owner, "day", ct);
        Assert.Equal(DateTime.UtcNow.ToString("yyyy-MM-dd"), Assert.Single(byDay["items"]!.AsArray())!["group"]!.GetValue<string>());
        var byModel = await UsageAsync(owner, "model", ct);
        Assert.Equal(byDay["total"]!["costUsd"]!.GetValue<double>(), byModel["total"]!["costUsd"]!.GetValue<double>(), 9);

        // Another owner sees none of it; a range before the session holds nothing.
        Assert.Empty((await UsageAsync(stranger, "session", ct))["items"]!.AsArray());
        var before = await owner.GetFromJsonAsync<JsonObject>($"/v1/usage?groupBy=session&to={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(-1).ToString("O"))}", ct);
        Assert.Empty(before!["items"]!.AsArray());
        using var bad = await owner.GetAsync("/v1/usage?groupBy=colour", ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task AKeysSpentBudgetStopsItsSessionsNextModelCallAndItsNextSession()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        // A millionth of a dollar: the first model call spends it.
        var key = await CreateKeyAsync(fleet, "budgeted", 0.000001m, "total", ct);
        using var client = fleet.ClientAs(new CallerIdentity(key, "budgeted", CallerRole.Operator));

        var id = await StartAsync(client, ct);
        var ended = await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) is "completed" or "failed", ct, seconds: 120);
        // The call that crossed the line completed; the turn after it was refused, so only it was recorded.
        var calls = await infrastructure.ProxyUsageAsync(Guid.Parse(id), expected: 2, ct);
        Assert.Single(calls);
        var events = await fleet.MessagesAsync(id, ct);
        Assert.Contains(events, e => e.ToJsonString().Contains("budget"));

        using var next = await client.PostAsJsonAsync("/v1/sessions", new { agent = "claude", task = WriteFile }, ct);
        var problem = await next.Content.ReadFromJsonAsync<JsonObject>(ct);
        Assert.True(next.StatusCode == HttpStatusCode.PaymentRequired, $"{next.StatusCode}: {problem}");
        Assert.Equal("budget_exceeded", problem!["code"]!.GetValue<string>());

        var listed = (await fleet.Http.GetFromJsonAsync<JsonObject>("/v1/keys", ct))!["items"]!.AsArray().Single(k => k!["id"]!.GetValue<string>() == key)!;
        Assert.Equal(0.000001m, listed["budgetUsd"]!.GetValue<decimal>());
        Assert.Equal("total", listed["budgetPeriod"]!.GetValue<string>());
        Assert.True(listed["spentUsd"]!.GetValue<decimal>() >= 0.000001m, listed.ToJsonString());
        Assert.Equal(0m, listed["remainingUsd"]!.GetValue<decimal>());
        Assert.NotNull(ended);
    }

    private static async Task<string> CreateKeyAsync(Fleet fleet, string owner, decimal? budget, string? period, CancellationToken ct)
    {
        using var response = await fleet.Http.PostAsJsonAsync("/v1/keys", new { name = owner, role = "operator", owner, budgetUsd = budget, budgetPeriod = period }, ct);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{response.StatusCode}: {body}");
        return body!["id"]!.GetValue<string>();
    }

    private static Task<string> StartAsync(HttpClient client, CancellationToken ct) =>
        Fleet.StartSessionAsync(client, new { agent = "claude", task = WriteFile }, ct);

    private static async Task<JsonObject> UsageAsync(HttpClient client, string groupBy, CancellationToken ct) =>
        (await client.GetFromJsonAsync<JsonObject>($"/v1/usage?groupBy={groupBy}", ct))!;
}
