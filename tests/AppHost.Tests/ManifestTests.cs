using System.Text.Json.Nodes;

namespace AgentFleet.AppHost.Tests;

/// <summary>`dotnet run --project AppHost -- --publisher manifest`: the Aspire manifest azd and other tools read.</summary>
public sealed class ManifestTests
{
    private static readonly string[] Services = ["zai-proxy", "session-runner", "comfy-bridge", "management-api", "gateway"];

    [Fact]
    public async Task TheManifestListsEveryServiceWithItsBindingsReferencesAndSecretParameters()
    {
        var output = Path.Combine(Path.GetTempPath(), $"aspire-manifest-{Guid.NewGuid():N}.json");
        // The gateway's standard ports, as a deployment gets them (the other tests pick free ones).
        var standardPorts = new Dictionary<string, string> { ["GATEWAY_PORT"] = "", ["GATEWAY_GRPC_PORT"] = "", ["AGENT_CONTROL_PORT"] = "" };
        await using (var publisher = AppHostProcess.Start(standardPorts, arguments: ["--publisher", "manifest", "--output-path", output]))
        {
            Assert.True(await publisher.WaitForExitAsync(TimeSpan.FromMinutes(1)), publisher.Tail());
            Assert.True(publisher.ExitCode == 0, publisher.Tail());
            Assert.DoesNotContain("fail:", publisher.Tail(400));
            // Publishing starts nothing and writes nothing under .fleet.
            Assert.False(Directory.Exists(publisher.FleetHome), "publishing created the .fleet directory");
        }
        var resources = JsonNode.Parse(await File.ReadAllTextAsync(output, TestContext.Current.CancellationToken))!["resources"]!.AsObject();
        File.Delete(output);

        foreach (var service in Services)
        {
            var project = resources[service]!;
            Assert.Equal("project.v0", project["type"]!.GetValue<string>());
            Assert.EndsWith(".csproj", project["path"]!.GetValue<string>());
            var bindings = project["bindings"]!;
            Assert.Equal("http", bindings["http"]!["transport"]!.GetValue<string>());
            // gRPC has an HTTP/2-only port of its own.
            Assert.Equal("http2", bindings["grpc"]!["transport"]!.GetValue<string>());
            Assert.Equal("Http2", project["env"]!["Kestrel__Endpoints__grpc__Protocols"]!.GetValue<string>());
            Assert.StartsWith("http://*:", project["env"]!["Kestrel__Endpoints__grpc__Url"]!.GetValue<string>());
            // Nothing of this machine's .fleet directory leaks into a deployment.
            Assert.DoesNotContain(project["env"]!.AsObject(), e => e.Value!.ToString().Contains(".fleet"));
        }
        // The web console: a project with an HTTP endpoint, reached through the gateway, calling it back.
        Assert.Equal("project.v0", resources["console"]!["type"]!.GetValue<string>());
        Assert.Equal("http", resources["console"]!["bindings"]!["http"]!["transport"]!.GetValue<string>());
        Assert.Equal("{console.bindings.http.url}", Env("gateway", "services__console__http__0"));
        Assert.Equal("{gateway.bindings.http.url}", Env("console", "services__gateway__http__0"));
        Assert.Equal("{redis.connectionString}", Env("console", "ConnectionStrings__redis"));
        // The gateway keeps its public ports.
        Assert.Equal(9090, resources["gateway"]!["bindings"]!["http"]!["targetPort"]!.GetValue<int>());
        Assert.Equal(9091, resources["gateway"]!["bindings"]!["grpc"]!["targetPort"]!.GetValue<int>());
        // The agent-control port (JSON-RPC over TCP): public at the gateway, which relays it to ManagementApi's, on
        // every interface in a deployment.
        Assert.Equal("tcp", resources["management-api"]!["bindings"]!["agent-control"]!["scheme"]!.GetValue<string>());
        Assert.Equal(9500, resources["gateway"]!["bindings"]!["agent-control"]!["targetPort"]!.GetValue<int>());
        Assert.Equal("0.0.0.0", Env("management-api", "Mcp__AgentControlAddress"));
        Assert.Equal("0.0.0.0", Env("gateway", "Gateway__AgentControlAddress"));
        Assert.Equal("{management-api.bindings.agent-control.url}", Env("gateway", "services__management-api__agent-control__0"));
        Assert.Equal("{management-api.bindings.http.url}/mcp", Env("session-runner", "SessionRunner__Mcp__FleetUrl"));

        // References: the database, Redis and the services each one calls.
        Assert.Equal("{fleetdb.connectionString}", Env("session-runner", "ConnectionStrings__fleetdb"));
        Assert.Equal("{redis.connectionString}", Env("management-api", "ConnectionStrings__redis"));
        Assert.Equal("{session-runner.bindings.grpc.url}", Env("management-api", "services__session-runner__grpc__0"));
        Assert.Equal("{zai-proxy.bindings.http.url}", Env("session-runner", "services__zai-proxy__http__0"));
        Assert.Equal("{management-api.bindings.http.url}", Env("gateway", "services__management-api__http__0"));
        Assert.Equal("container.v0", resources["postgres"]!["type"]!.GetValue<string>());
        Assert.Contains("Database=fleetdb", resources["fleetdb"]!["connectionString"]!.GetValue<string>());
        Assert.Equal("container.v0", resources["redis"]!["type"]!.GetValue<string>());

        // Secrets are parameters a deployment supplies, never values.
        foreach (var secret in new[] { "management-api-key", "session-key-secret", "identity-secret", "comfyui-webhook-secret" })
        {
            Assert.Equal("parameter.v0", resources[secret]!["type"]!.GetValue<string>());
            Assert.True(resources[secret]!["inputs"]!["value"]!["secret"]!.GetValue<bool>());
            Assert.Null(resources[secret]!["inputs"]!["value"]!["default"]);
        }
        Assert.Equal("{management-api-key.value}", Env("gateway", "MANAGEMENT_API_KEY"));
        Assert.Equal("{identity-secret.value}", Env("zai-proxy", "Identity__Secret"));
        Assert.Equal("{session-key-secret.value}", Env("session-runner", "SessionKeys__Secret"));
        Assert.Equal("{session-key-secret.value}", Env("management-api", "SessionKeys__Secret"));

        string Env(string resource, string name) => resources[resource]!["env"]![name]!.GetValue<string>();
    }
}
