using System.Net;
using AgentFleet.Gateway.Tests.Fixtures;
using AgentFleet.ServiceDefaults.Security;
using AgentFleet.ServiceDefaults.Tests.Fixtures;
using AgentFleet.Testing;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace AgentFleet.AppHost.Tests;

/// <summary>End to end: the whole app model, run by Aspire.Hosting.Testing, used and damaged the way an operator would.</summary>
public sealed class AppHostTests
{
    private static readonly string[] Services = ["zai-proxy", "session-runner", "comfy-bridge", "management-api", "console", "gateway"];

    private const string AdminKey = "test-admin-key";
    private const string IdentitySecret = "apphost-test-identity-secret";

    [Fact]
    public async Task EveryResourceBecomesHealthyAClaudeSessionCompletesThroughTheGatewayAndAKilledServiceComesBack()
    {
        var ct = TestContext.Current.CancellationToken;
        // The services' telemetry goes where OTEL_EXPORTER_OTLP_ENDPOINT says, here a receiver in place of the dashboard.
        await using var otlp = await OtlpReceiver.StartAsync();
        await using var fleet = await FleetApp.StartAsync(new Dictionary<string, string>
        {
            ["MANAGEMENT_API_KEY"] = AdminKey,
            ["IDENTITY_SECRET"] = IdentitySecret,
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "500",
        }, ct);

        // 1. Everything comes up, dependencies first, each service answering on its own endpoint.
        var healthy = await ResourceSnapshot.WaitForAsync(fleet.FleetHome, ResourceSnapshot.AllUp, TimeSpan.FromMinutes(3), "every resource is up");
        Assert.Equal(["postgres", "fleetdb", "redis", "agent-clis", "zai-proxy", "session-runner", "comfy-bridge", "management-api", "console", "gateway"], healthy.Select(r => r.Name));
        using var http = new HttpClient();
        foreach (var service in Services)
        {
            var address = fleet.Endpoint(service);
            using var response = await http.GetAsync(new Uri(address, "/health"), ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            // Every service's /metrics is what Prometheus accepts.
            var (exitCode, output) = await Promtool.CheckMetricsAsync(await http.GetStringAsync(new Uri(address, "/metrics"), ct), ct);
            Assert.True(exitCode == 0, $"promtool check metrics failed for {service}:\n{output}");
        }

        // 2. Wired end to end: the admin key works at the gateway, a key it makes is verified over ManagementApi's
        // gRPC endpoint, and the same call straight to the service, without the gateway's signature, is refused.
        var api = new FleetApi(fleet.Endpoint("gateway"));
        var key = (await api.JsonAsync(HttpMethod.Post, "/v1/keys", AdminKey, """{"name": "e2e", "role": "viewer"}""", HttpStatusCode.Created))["key"]!.GetValue<string>();
        Assert.Equal("viewer", (await api.JsonAsync(HttpMethod.Get, "/v1/keys/self", key))["role"]!.GetValue<string>());
        // /v1/status gathers the runner's workers and ComfyBridge's servers over gRPC (no ComfyUI is configured here).
        var status = await api.JsonAsync(HttpMethod.Get, "/v1/status", AdminKey);
        Assert.Equal("not configured", status["comfyui"]!["status"]!.GetValue<string>());
        Assert.True(status["workers"]!["total"]!.GetValue<int>() > 0, status.ToJsonString());
        using (var direct = await FleetApi.SendAsync(HttpMethod.Get, new Uri(fleet.Endpoint("management-api"), "/v1/keys/self"), AdminKey))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, direct.StatusCode);
        }
        await CheckGrpcAsync(fleet, ct);
        // The web console answers at the gateway's /, asking for a key.
        var signIn = await http.GetStringAsync(new Uri(fleet.Endpoint("gateway"), "/signin"), ct);
        Assert.Contains("API key", signIn);

        // 3. A claude session, created through the gateway, runs the real Claude Code CLI the run installed, through
        // ZaiProxy (its simulated model), and completes with its cost and usage accounted.
        var session = await api.RunSessionAsync(AdminKey, """{"agent": "claude", "task": "Say hello in one word."}""", TimeSpan.FromMinutes(2));
        Assert.True(session["status"]!.GetValue<string>() == "completed", session.ToJsonString());
        Assert.True(session["totalCostUsd"]!.GetValue<decimal>() > 0, session.ToJsonString());
        Assert.True(session["usage"]!["outputTokens"]!.GetValue<long>() > 0, session.ToJsonString());
        // One trace for the session: the gateway's request, ManagementApi, the runner's run of the agent, and the agent's
        // model calls in ZaiProxy.
        var services = await WaitForSessionTraceAsync(otlp, TimeSpan.FromSeconds(30));
        Assert.Superset(new HashSet<string> { "gateway", "management-api", "session-runner", "zai-proxy" }, services);

        // 4. A service killed outright is started again and becomes healthy under a new pid.
        var victim = healthy.Single(r => r.Name == "session-runner");
        Assert.Equal(0, Native.Kill(victim.Pid!.Value, 9));
        var recovered = await ResourceSnapshot.WaitForAsync(fleet.FleetHome,
            s => s.Single(r => r.Name == "session-runner") is { Restarts: 1, Health: "Healthy" } r && r.Pid != victim.Pid && r.Pid is not null,
            TimeSpan.FromMinutes(1), "session-runner is started again and healthy");
        Assert.All(recovered.Where(r => r.Name != "session-runner"), r => Assert.Equal(0, r.Restarts));
        // And it serves: a command session completes through the restarted runner.
        var after = await api.RunSessionAsync(AdminKey, """{"agent": "command", "command": ["echo", "back"], "task": "echo"}""", TimeSpan.FromMinutes(1));
        Assert.True(after["status"]!.GetValue<string>() == "completed", after.ToJsonString());
    }

    /// <summary>The services that sent spans in the trace of the gateway's POST /v1/sessions, once zai-proxy is among them.</summary>
    private static async Task<HashSet<string>> WaitForSessionTraceAsync(OtlpReceiver otlp, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        HashSet<string> services = [];
        while (DateTime.UtcNow < deadline)
        {
            var spans = otlp.Spans;
            var traces = spans.Where(s => s.Service == "gateway" && s.Name.StartsWith("POST /v1/sessions", StringComparison.Ordinal)).Select(s => s.TraceId).ToHashSet();
            services = [.. spans.Where(s => traces.Contains(s.TraceId)).Select(s => s.Service)];
            if (services.Contains("zai-proxy"))
            {
                return services;
            }
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
        Assert.Fail($"No trace of POST /v1/sessions reached zai-proxy; its services: {string.Join(", ", services)}; " +
            $"all: {string.Join(", ", otlp.Spans.Select(s => $"{s.Service}:{s.Name}").Distinct().Take(40))}");
        return services;
    }

    /// <summary>Each gRPC service and a method of its contract (the request is empty on the wire either way).</summary>
    private static readonly (string Service, Method<Empty, Empty> Method)[] GrpcContracts =
    [
        ("session-runner", EmptyGrpc.Unary("fleet.sessionrunner.v1.SessionRunner", "GetRunnerStatus")),
        ("zai-proxy", EmptyGrpc.Unary("fleet.zaiproxy.v1.ZaiProxy", "GetPoolStatus")),
        ("comfy-bridge", EmptyGrpc.Unary("fleet.comfybridge.v1.ComfyBridge", "GetBridgeStatus")),
        ("management-api", EmptyGrpc.Unary("fleet.managementapi.v1.ManagementApi", "VerifyKey")),
    ];

    private static async Task CheckGrpcAsync(FleetApp fleet, CancellationToken ct)
    {
        // gRPC clients from outside: the gateway's HTTP/2 port, with a key.
        using (var viaGateway = GrpcChannel.ForAddress(fleet.Endpoint("gateway", "grpc")))
        {
            await EmptyGrpc.CallAsync(viaGateway, GrpcContracts[0].Method, new Metadata { { "authorization", $"Bearer {AdminKey}" } }, ct);
        }
        foreach (var (name, contractMethod) in GrpcContracts)
        {
            var address = fleet.Endpoint(name, "grpc");
            using (var unsigned = GrpcChannel.ForAddress(address))
            {
                // Health is open to anyone; the contract only to a caller that signs, as the services do.
                var health = await new Health.HealthClient(unsigned).CheckAsync(new HealthCheckRequest(), new CallOptions(cancellationToken: ct));
                Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
                var refused = await Assert.ThrowsAsync<RpcException>(() => EmptyGrpc.CallAsync(unsigned, contractMethod, null, ct));
                Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
            }
            using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
            {
                HttpHandler = new SignedIdentityHandler(new IdentitySigner(IdentitySecret), CallerIdentity.Service("test"), new SocketsHttpHandler()),
            });
            if (name is "management-api")
            {
                // Implemented, and an empty request is not a key hash.
                var invalid = await Assert.ThrowsAsync<RpcException>(() => EmptyGrpc.CallAsync(channel, contractMethod, null, ct));
                Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
            }
            else
            {
                // Implemented: its answer (a RunnerStatus, a PoolStatus, a BridgeStatus) reads as an Empty with unknown fields.
                await EmptyGrpc.CallAsync(channel, contractMethod, null, ct);
            }
        }
    }
}
