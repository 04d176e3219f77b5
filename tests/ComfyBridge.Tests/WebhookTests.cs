using System.Text.Json.Nodes;
using AgentFleet.ComfyBridge.Tests.Fixtures;
using AgentFleet.ComfyBridge.Webhooks;

namespace AgentFleet.ComfyBridge.Tests;

/// <summary>The webhook a workflow names is signed with HMAC-SHA256 and retried with backoff until the receiver takes it.</summary>
public sealed class WebhookTests(PostgresFixture postgres) : IAsyncLifetime
{
    private ComfyUiServer _comfy = null!;
    private Bridge _bridge = null!;

    public async ValueTask InitializeAsync()
    {
        _comfy = await ComfyUiServer.StartAsync();
        _bridge = await Bridge.StartAsync(postgres, [_comfy.Url]);
    }

    [Fact]
    public async Task TheCompletionWebhookIsRetriedUntilDeliveredAndItsSignatureVerifies()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var receiver = await WebhookReceiver.StartAsync(failFirst: 2);
        var client = _bridge.Client("alice");
        var id = await Bridge.SubmitAsync(client, Workflows.TextToImage(steps: 2), ct, receiver.Url);

        var view = await Bridge.WaitAsync(client, id, v => v["webhookStatus"]?.GetValue<string>() == "delivered", ct);

        var deliveries = receiver.Deliveries.ToList();
        Assert.Equal([503, 503, 204], deliveries.Select(d => d.AnsweredWith));
        // Backoff: each wait is longer than the one before (0.2 s, then 0.4 s, with jitter).
        Assert.True(deliveries[2].At - deliveries[1].At > deliveries[1].At - deliveries[0].At);
        foreach (var delivery in deliveries)
        {
            var timestamp = delivery.Headers[WebhookSignature.TimestampHeader];
            Assert.True(WebhookSignature.Verify(Bridge.WebhookSecret, timestamp, delivery.Body, delivery.Headers[WebhookSignature.SignatureHeader]));
            Assert.False(WebhookSignature.Verify("another secret", timestamp, delivery.Body, delivery.Headers[WebhookSignature.SignatureHeader]));
            Assert.Equal(id.ToString(), delivery.Headers[WebhookSignature.DeliveryHeader]);
            Assert.Equal("workflow.completed", delivery.Headers[WebhookSignature.EventHeader]);
        }
        var body = JsonNode.Parse(deliveries[2].Body)!.AsObject();
        Assert.Equal("completed", body["status"]!.GetValue<string>());
        Assert.Equal(view["outputs"]![0]!.GetValue<string>(), body["outputs"]![0]!["name"]!.GetValue<string>());
        var tampered = (byte[])deliveries[2].Body.Clone();
        tampered[^2] ^= 1;
        Assert.False(WebhookSignature.Verify(Bridge.WebhookSecret, deliveries[2].Headers[WebhookSignature.TimestampHeader], tampered,
            deliveries[2].Headers[WebhookSignature.SignatureHeader]));
    }

    [Fact]
    public async Task AFailedWorkflowSendsAFailureWebhook()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var receiver = await WebhookReceiver.StartAsync();
        var client = _bridge.Client("alice");
        var id = await Bridge.SubmitAsync(client, Workflows.Failing(), ct, receiver.Url);
        await Bridge.WaitAsync(client, id, v => v["webhookStatus"]?.GetValue<string>() == "delivered", ct);
        var delivery = Assert.Single(receiver.Deliveries);
        Assert.Equal("workflow.failed", delivery.Headers[WebhookSignature.EventHeader]);
        Assert.Equal("The node failed on purpose.", JsonNode.Parse(delivery.Body)!["error"]!.GetValue<string>());
    }

    public async ValueTask DisposeAsync()
    {
        await _bridge.DisposeAsync();
        await _comfy.DisposeAsync();
    }
}
