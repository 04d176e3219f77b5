using System.Net;
using System.Net.Http.Json;
using AgentFleet.ZaiProxy.Tests.Fixtures;
using static AgentFleet.ZaiProxy.Tests.Fixtures.ProxyClient;

namespace AgentFleet.ZaiProxy.Tests;

public sealed class BudgetTests(ProxyFixture fixture)
{
    [Fact]
    public async Task ASessionKeysBudgetStopsItsCallsOnceSpentAndCannotBeRaisedByTheAgent()
    {
        var ct = TestContext.Current.CancellationToken;
        var (key, _) = ProxyFixture.NewSessionKey(budgetUsd: 0.000001m);
        using var http = For(fixture.Simulated, key);

        using (var first = await PostAsync(http, Message("hello"), ct))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        using (var second = await PostAsync(http, Message("hello again"), ct))
        {
            var error = await JsonAsync(second, ct);
            Assert.Equal(HttpStatusCode.PaymentRequired, second.StatusCode);
            Assert.Equal("billing_error", error["error"]!["type"]!.GetValue<string>());
            Assert.Equal("budget_exceeded", error["code"]!.GetValue<string>());
        }

        // Editing the budget in the key breaks its signature.
        var parts = key.Split('_');
        using var raised = For(fixture.Simulated, $"{parts[0]}_{parts[1]}_b999999999_{parts[3]}");
        using var refused = await PostAsync(raised, Message("hello"), ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task AStreamedCallIsPricedBeforeItsEndReachesTheCaller()
    {
        var ct = TestContext.Current.CancellationToken;
        var (key, _) = ProxyFixture.NewSessionKey(budgetUsd: 0.000001m);
        using var http = For(fixture.Simulated, key);

        // The caller acts on message_stop at once, as an SDK does, without waiting for the response to close.
        using (var first = await http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = JsonContent.Create(Message("hello", stream: true)) },
            HttpCompletionOption.ResponseHeadersRead, ct))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            using var reader = new StreamReader(await first.Content.ReadAsStreamAsync(ct));
            while (await reader.ReadLineAsync(ct) is { } line && line != "event: message_stop")
            {
            }
            using var second = await PostAsync(http, Message("hello again", stream: true), ct);
            Assert.Equal(HttpStatusCode.PaymentRequired, second.StatusCode);
        }
    }
}
