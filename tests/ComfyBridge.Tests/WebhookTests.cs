using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFleet.ComfyBridge.Tests.Fixtures;
using AgentFleet.ComfyBridge.Webhooks;
using AgentFleet.Gateway.Tests.Fixtures;

namespace AgentFleet.ComfyBridge.Tests;

/// <summary>The webhook a workflow names is signed with HMAC-SHA256 and retried with backoff until the receiver takes it.</summary>
public sealed class WebhookTests(PostgresFixture postgres) : BridgeTest(postgres)
{
    [Fact]
    public async Task TheCompletionWebhookIsRetriedUntilDeliveredAndItsSignatureVerifies()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var receiver = await WebhookReceiver.StartAsync(failFirst: 2);
        var client = Bridge.Client("alice");
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
        var client = Bridge.Client("alice");
        var id = await Bridge.SubmitAsync(client, Workflows.Failing(), ct, receiver.Url);
        await Bridge.WaitAsync(client, id, v => v["webhookStatus"]?.GetValue<string>() == "delivered", ct);
        var delivery = Assert.Single(receiver.Deliveries);
        Assert.Equal("workflow.failed", delivery.Headers[WebhookSignature.EventHeader]);
        Assert.Equal("The node failed on purpose.", JsonNode.Parse(delivery.Body)!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task WebhooksToLoopbackOrPrivateAddressesAreRefusedUnlessAllowed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var strict = await Bridge.StartAsync(Postgres, [Comfy.Url], new() { ["ComfyUI__AllowPrivateWebhooks"] = "false" });
        await using var receiver = await WebhookReceiver.StartAsync();
        var client = strict.Client("alice");
        var port = new Uri(receiver.Url).Port;
        // Literal addresses are refused at submission, with a clear answer.
        // Also the other spellings of those: a fully qualified localhost, names under .localhost, IPv4-mapped and
        // IPv4-compatible IPv6, NAT64 and 6to4 forms of a private address.
        foreach (var literal in (string[])[receiver.Url, $"http://localhost:{port}/hooks/comfy", "http://169.254.169.254/latest/meta-data", "http://[::1]:9/x", "http://10.1.2.3/x",
            $"http://localhost.:{port}/x", "http://api.localhost/x", "http://[::ffff:127.0.0.1]/x", "http://[::ffff:169.254.169.254]/x", "http://[::10.0.0.1]/x",
            "http://[64:ff9b::a9fe:a9fe]/x", "http://[64:ff9b::7f00:1]/x", "http://[64:ff9b:1::c0a8:101]/x", "http://[2002:c0a8:0101::1]/x"])
        {
            using var refused = await client.PostAsJsonAsync("/v1/comfyui/workflow", new { workflow = Workflows.TextToImage(steps: 1), webhookUrl = literal }, ct);
            await Problem.AssertAsync(refused, HttpStatusCode.BadRequest, "validation_failed");
        }

        Assert.Empty(receiver.Deliveries);
    }

    [Fact]
    public async Task TheWebhookClientChecksTheAddressANameResolvesToWhenItConnects()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var receiver = await WebhookReceiver.StartAsync();
        // By name, so only the resolved address can give it away.
        var byName = receiver.Url.Replace("127.0.0.1", "localhost");

        using var strict = new HttpClient(WebhookTargets.Handler(allowPrivate: false));
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => strict.PostAsync(byName, new StringContent("{}"), ct));
        Assert.IsType<WebhookTargetRefusedException>(refused.InnerException);
        Assert.Empty(receiver.Deliveries);

        using var allowing = new HttpClient(WebhookTargets.Handler(allowPrivate: true));
        using var delivered = await allowing.PostAsync(byName, new StringContent("{}"), ct);
        Assert.Equal(HttpStatusCode.NoContent, delivered.StatusCode);
        Assert.Single(receiver.Deliveries);
        Assert.False(WebhookTargets.IsPublic(System.Net.IPAddress.Parse("::ffff:169.254.169.254")));
        Assert.True(WebhookTargets.IsPublic(System.Net.IPAddress.Parse("93.184.216.34")));
    }
}
