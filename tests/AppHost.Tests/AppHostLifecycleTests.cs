using System.Net;
using Grpc.Core;
using AgentFleet.Hosting.Orchestration;
using AgentFleet.Gateway.Tests.Fixtures;
using AgentFleet.ServiceDefaults.Security;
using AgentFleet.ServiceDefaults.Tests.Fixtures;
using Google.Protobuf.WellKnownTypes;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace AgentFleet.AppHost.Tests;

/// <summary>End to end: the whole app model, started, damaged and stopped the way an operator would.</summary>
public sealed class AppHostLifecycleTests
{
    private static readonly string[] Services = ["zai-proxy", "session-runner", "comfy-bridge", "management-api", "gateway"];

    [Fact]
    public async Task EveryResourceBecomesHealthyACrashedServiceIsRestartedAndSigtermLeavesNothingBehind()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var apphost = AppHostProcess.Start(new Dictionary<string, string> { ["MANAGEMENT_API_KEY"] = "test-admin-key", ["IDENTITY_SECRET"] = IdentitySecret });

        // 1. Everything comes up, dependencies first, each service answering on its own endpoint.
        var healthy = await apphost.WaitForAsync(AllHealthy, TimeSpan.FromMinutes(3), "every resource is healthy");
        Assert.Equal(["postgres", "fleetdb", "redis", "zai-proxy", "session-runner", "comfy-bridge", "management-api", "gateway"], healthy.Select(r => r.Name));
        using var http = new HttpClient();
        foreach (var service in healthy.Where(r => Services.Contains(r.Name)))
        {
            using var response = await http.GetAsync(service.Endpoints["http"] + "/health", ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            // Every service's /metrics is what Prometheus accepts.
            var (exitCode, output) = await Promtool.CheckMetricsAsync(await http.GetStringAsync(service.Endpoints["http"] + "/metrics", ct), ct);
            Assert.True(exitCode == 0, $"promtool check metrics failed for {service.Name}:\n{output}");
        }
        // Wired end to end: the admin key works at the gateway, a key it makes is verified over ManagementApi's
        // gRPC endpoint, and the same call straight to the service, without the gateway's signature, is refused.
        var gateway = healthy.Single(r => r.Name == "gateway").Endpoints["http"];
        using (var created = await Send(HttpMethod.Post, gateway + "/v1/keys", "test-admin-key", """{"name": "e2e", "role": "viewer"}"""))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var key = System.Text.Json.Nodes.JsonNode.Parse(await created.Content.ReadAsStringAsync(ct))!["key"]!.GetValue<string>();
            using var self = await Send(HttpMethod.Get, gateway + "/v1/keys/self", key);
            Assert.Equal(HttpStatusCode.OK, self.StatusCode);
        }
        // /v1/status gathers the runner's workers and ComfyBridge's servers over gRPC (no ComfyUI is configured here).
        using (var status = await Send(HttpMethod.Get, gateway + "/v1/status", "test-admin-key"))
        {
            var body = System.Text.Json.Nodes.JsonNode.Parse(await status.Content.ReadAsStringAsync(ct))!;
            Assert.Equal("not configured", body["comfyui"]!["status"]!.GetValue<string>());
            Assert.True(body["workers"]!["total"]!.GetValue<int>() > 0, body.ToJsonString());
        }
        using (var direct = await Send(HttpMethod.Get, healthy.Single(r => r.Name == "management-api").Endpoints["http"] + "/v1/keys/self", "test-admin-key"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, direct.StatusCode);
        }
        // gRPC clients from outside: the gateway's HTTP/2 port, with a key.
        using (var viaGateway = GrpcChannel.ForAddress(healthy.Single(r => r.Name == "gateway").Endpoints["grpc"]))
        {
            await EmptyGrpc.CallAsync(viaGateway, GrpcContracts[0].Method, new Metadata { { "authorization", "Bearer test-admin-key" } }, ct);
        }
        foreach (var (name, contractMethod) in GrpcContracts)
        {
            var address = new Uri(healthy.Single(r => r.Name == name).Endpoints["grpc"]);
            using (var unsigned = GrpcChannel.ForAddress(address))
            {
                // Health is open to anyone; the contract only to a caller that signs, as the services do.
                var health = await new Health.HealthClient(unsigned).CheckAsync(new HealthCheckRequest(), new CallOptions(cancellationToken: ct));
                Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
                var refused = await Assert.ThrowsAsync<RpcException>(() => EmptyGrpc.CallAsync(unsigned, contractMethod, null, ct));
                Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
            }
            var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
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
            channel.Dispose();
        }

        // 2. A service killed outright is started again and becomes healthy under a new pid.
        var victim = healthy.Single(r => r.Name == "session-runner");
        Process(victim.Pid!.Value).Kill();
        var recovered = await apphost.WaitForAsync(
            snapshot => snapshot.Single(r => r.Name == "session-runner") is { Restarts: 1, Health: HealthStates.Healthy } r && r.Pid != victim.Pid,
            TimeSpan.FromMinutes(1), "session-runner is restarted and healthy");

        // 3. SIGTERM stops everything: no process of any resource remains, every port is free again.
        var groups = recovered.Where(r => r.Pid is not null).Select(r => r.Pid!.Value).ToHashSet();
        var processes = ProcessTable.MembersOf(groups);
        Assert.Superset(groups, processes);
        Assert.True(processes.Count > groups.Count, "PostgreSQL's background processes should be among those found");
        Process(apphost.Pid).Kill(signal: 15);
        Assert.True(await apphost.WaitForExitAsync(TimeSpan.FromSeconds(90)), $"The AppHost did not exit.\n{apphost.Tail()}");
        Assert.True(apphost.ExitCode == 0, $"The AppHost exited with {apphost.ExitCode}.\n{apphost.Tail()}");
        Assert.DoesNotContain(processes, ProcessTable.IsAlive);
        Assert.Empty(ProcessTable.MembersOf(groups));
        foreach (var url in recovered.SelectMany(r => r.Endpoints.Values))
        {
            Assert.True(PortAllocator.IsFree(new Uri(url).Port), $"{url} is still bound");
        }
    }

    private const string IdentitySecret = "apphost-test-identity-secret";

    private static readonly HttpClient Client = new();

    private static Task<HttpResponseMessage> Send(HttpMethod method, string url, string key, string? json = null)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new("Bearer", key);
        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }
        return Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>Each gRPC service and a method of its contract (the request is empty on the wire either way).</summary>
    private static readonly (string Service, Method<Empty, Empty> Method)[] GrpcContracts =
    [
        ("session-runner", EmptyGrpc.Unary("fleet.sessionrunner.v1.SessionRunner", "GetRunnerStatus")),
        ("zai-proxy", EmptyGrpc.Unary("fleet.zaiproxy.v1.ZaiProxy", "GetPoolStatus")),
        ("comfy-bridge", EmptyGrpc.Unary("fleet.comfybridge.v1.ComfyBridge", "GetBridgeStatus")),
        ("management-api", EmptyGrpc.Unary("fleet.managementapi.v1.ManagementApi", "VerifyKey")),
    ];

    private static bool AllHealthy(IReadOnlyList<ResourceState> snapshot) =>
        snapshot.All(r => r.Health == HealthStates.Healthy);

    private static UnixProcess Process(int pid) => new(pid);

    private readonly record struct UnixProcess(int Pid)
    {
        public void Kill(int signal = 9) => Assert.Equal(0, Native.Kill(Pid, signal));
    }
}
