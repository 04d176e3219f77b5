using System.Net;
using System.Text;
using AgentFleet.ZaiProxy.Tests.Fixtures;
using static AgentFleet.ZaiProxy.Tests.Fixtures.ProxyClient;

namespace AgentFleet.ZaiProxy.Tests;

/// <summary>The simulated model refuses what the real API refuses, with a 400 in Anthropic's error shape, never a 500.</summary>
public sealed class SimulatedModelTests(ProxyFixture fixture)
{
    public static TheoryData<string> BadRequests => new()
    {
        """{"model": "claude-sim", "max_tokens": 3000000000, "messages": [{"role": "user", "content": "hi"}]}""",
        """{"model": "claude-sim", "max_tokens": "many", "messages": [{"role": "user", "content": "hi"}]}""",
        """{"model": "claude-sim", "max_tokens": 0, "messages": [{"role": "user", "content": "hi"}]}""",
        """{"model": 42, "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}""",
        """{"model": "claude-sim", "max_tokens": 10, "messages": [{"role": "user", "content": "lone \ud800 surrogate"}]}""",
        """{"model": "claude-sim", "max_tokens": 10, "messages": [{"role": "user", "content": "#sim tool Write {not json"}]}""",
        """{"model": "claude-sim", "max_tokens": 10, "messages": [{"role": "user", "content": "#sim error 99"}]}""",
        """{"model": "claude-sim", "max_tokens": 10, "messages": [{"role": "user", "content": "#sim delay -5"}]}""",
        """{"model": "claude-sim", "max_tokens": 10, "messages": [{"role": "user", "content": "#sim tokens lots"}]}""",
        """{"model": "claude-sim", "max_tokens": 10, "messages": [{"role": "user", "content": "#sim fail 529"}]}""",
        """[1, 2, 3]""",
        """{not json""",
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadInputIsA400InAnthropicsErrorShape(string body)
    {
        var ct = TestContext.Current.CancellationToken;
        var (key, _) = ProxyFixture.NewSessionKey();
        // Through the proxy to its built-in model, and to the model served over HTTP on its own.
        foreach (var proxy in new[] { fixture.Simulated, fixture.Relayed })
        {
            using var http = For(proxy, key);
            using var response = await http.PostAsync("/v1/messages", new StringContent(body, Encoding.UTF8, "application/json"), ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var error = await JsonAsync(response, ct);
            Assert.Equal("error", error["type"]!.GetValue<string>());
            Assert.Equal("invalid_request_error", error["error"]!["type"]!.GetValue<string>());
            Assert.False(string.IsNullOrEmpty(error["error"]!["message"]!.GetValue<string>()));
        }
    }

    [Fact]
    public async Task AModelNameWithANulIsRecordedAndHoldsUpNoLaterRow()
    {
        var ct = TestContext.Current.CancellationToken;
        var (key, sessionId) = ProxyFixture.NewSessionKey();
        using var http = For(fixture.Simulated, key);
        var body = Message("hello");
        body["model"] = "claude\u0000sim";
        using (var odd = await PostAsync(http, body, ct))
        {
            Assert.Equal(HttpStatusCode.OK, odd.StatusCode);
        }
        using (var plain = await PostAsync(http, Message("hello again"), ct))
        {
            Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        }
        var rows = await fixture.UsageRowsAsync(sessionId, expected: 2, ct);
        Assert.Equal(2, rows.Count);
        Assert.Contains(rows, r => r.Model == "claude\uFFFDsim");
    }

    [Fact]
    public async Task AHugeTokenCountStopsAtMaxTokens()
    {
        var ct = TestContext.Current.CancellationToken;
        var (key, _) = ProxyFixture.NewSessionKey();
        using var http = For(fixture.Simulated, key);
        using var response = await PostAsync(http, Message("#sim tokens 2000000000", maxTokens: 5), ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reply = await JsonAsync(response, ct);
        Assert.Equal("max_tokens", reply["stop_reason"]!.GetValue<string>());
        Assert.Equal(5, reply["usage"]!["output_tokens"]!.GetValue<int>());
    }
}
