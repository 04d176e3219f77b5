using AgentFleet.AppHost;
using AgentFleet.AppHost.Agents;
using AgentFleet.AppHost.Configuration;
using AgentFleet.AppHost.Infrastructure;
using AgentFleet.AppHost.Kubernetes;
using AgentFleet.AppHost.Supervision;

// `--publisher kubernetes --output-path deploy/k8s`: the app model published as the Aspire manifest, then written
// out as Kubernetes manifests.
var kubernetes = KubernetesPublishing.Parse(ref args);
var builder = DistributedApplication.CreateBuilder(args);
var fleetHome = FleetHome.Resolve(builder);
var secrets = new SecretStore(Path.Combine(fleetHome, "secrets.json"));

// Infrastructure. A problem the operator must fix first (the gateway's port taken, no PostgreSQL installed) is one
// line and exit code 1, before anything starts.
int? gatewayPort, gatewayGrpcPort, agentControlPort;
IResourceBuilder<IResourceWithConnectionString> fleetDb, redis;
try
{
    (gatewayPort, gatewayGrpcPort) = Ports.ForGateway(builder);
    agentControlPort = Ports.ForAgentControl(builder);
    (fleetDb, redis) = builder.AddFleetDataStores(fleetHome, secrets);
}
catch (HostingConfigurationException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 1;
}
var agentClis = builder.AddAgentClis("agent-clis", Path.Combine(FleetHome.RepositoryRoot(builder), "tools", "agents"));
var adminKey = builder.AddGeneratedSecret("management-api-key", secrets, announce: true);
// Signs the per-session keys agents present to ZaiProxy and to the fleet's MCP server; the runner issues them, the
// proxy and ManagementApi check them.
var sessionKeySecret = builder.AddGeneratedSecret("session-key-secret", secrets);
// Signs the caller identity the gateway forwards; services refuse API requests without it.
var identitySecret = builder.AddGeneratedSecret("identity-secret", secrets);
// Signs the webhooks ComfyBridge sends when a workflow ends; receivers verify with it (COMFYUI_WEBHOOK_SECRET).
var webhookSecret = builder.AddGeneratedSecret("comfyui-webhook-secret", secrets);

// Services
var zaiProxy = builder.AddProject<Projects.ZaiProxy>("zai-proxy")
    .WithServiceEndpoints(grpc: true)
    .WithEnvironment("SessionKeys__Secret", sessionKeySecret)
    .WithEnvironment("Identity__Secret", identitySecret)
    // Where usage rows wait while the database is away.
    .WithLocalDirectory("Usage__SpoolDirectory", Path.Combine(fleetHome, "zai-proxy"))
    // Upstream__ApiKey (and Upstream__BaseUrl, ...) from the environment; without a key it answers from its simulated model.
    .WithEnvironmentFromHost("Upstream__")
    .WithEnvironmentFromHost("CLAUDE_")
    .WithReference(fleetDb).WaitFor(fleetDb)
    // Budgets' spend, shared by every replica.
    .WithReference(redis).WaitFor(redis)
    .WithOtelFromHost()
    .WithHttpHealthCheck("/health");

var sessionRunner = builder.AddProject<Projects.SessionRunner>("session-runner")
    .WithServiceEndpoints(grpc: true)
    .WithReference(fleetDb).WaitFor(fleetDb)
    .WithReference(redis).WaitFor(redis)
    .WithReference(zaiProxy).WaitFor(zaiProxy)
    .WithEnvironment("SessionKeys__Secret", sessionKeySecret)
    .WithEnvironment("Identity__Secret", identitySecret)
    .WithAgentRunnerDefaults(fleetHome, agentClis)
    // SessionRunner__Sandbox__Mode, SessionRunner__Command__AllowedRoles__0, ... from the environment.
    .WithEnvironmentFromHost("SessionRunner__")
    .WithOtelFromHost()
    .WithHttpHealthCheck("/health");

var comfyBridge = builder.AddProject<Projects.ComfyBridge>("comfy-bridge")
    .WithServiceEndpoints(grpc: true)
    .WithReference(fleetDb).WaitFor(fleetDb)
    // Job events reach the streams of every replica.
    .WithReference(redis).WaitFor(redis)
    .WithEnvironment("Identity__Secret", identitySecret)
    .WithEnvironment("ComfyUI__WebhookSecret", webhookSecret)
    // Where the outputs copied from ComfyUI are kept.
    .WithLocalDirectory("ComfyUI__OutputDirectory", Path.Combine(fleetHome, "comfy-outputs"))
    // ComfyUI__Servers__0, ... (and any other ComfyUI__ setting) from the environment.
    .WithEnvironmentFromHost("ComfyUI__")
    .WithOtelFromHost()
    .WithHttpHealthCheck("/health");

var managementApi = builder.AddProject<Projects.ManagementApi>("management-api")
    .WithServiceEndpoints(grpc: true)
    .WithReference(fleetDb).WaitFor(fleetDb)
    .WithReference(redis).WaitFor(redis)
    .WithReference(sessionRunner).WaitFor(sessionRunner)
    .WithReference(zaiProxy)
    .WithReference(comfyBridge)
    .WithEnvironment("Identity__Secret", identitySecret)
    // Agents call the fleet's MCP tools with their session keys; the agent-control port (behind the gateway's)
    // authenticates API keys itself.
    .WithEnvironment("SessionKeys__Secret", sessionKeySecret)
    .WithEnvironment("MANAGEMENT_API_KEY", adminKey)
    .WithAgentControlEndpoint(null, "Mcp")
    .WithOtelFromHost()
    .WithHttpHealthCheck("/health");
// Each claude session gets the fleet's MCP server (ManagementApi's /mcp) under its own session key.
sessionRunner.WithEnvironment("SessionRunner__Mcp__FleetUrl", ReferenceExpression.Create($"{managementApi.GetEndpoint("http")}/mcp"));

// The web console: a Blazor app people reach through the gateway at /, which calls the gateway's API with each
// person's own key. Its cookie's Data Protection keys live in Redis.
var console = builder.AddProject<Projects.FleetConsole>("console")
    .WithServiceEndpoints(grpc: false)
    .WithReference(redis).WaitFor(redis)
    .WithEnvironment(context =>
    {
        // The dashboard this AppHost serves; a deployment has its own.
        if (context.ExecutionContext.IsRunMode && builder.Configuration["ASPNETCORE_URLS"] is { Length: > 0 } urls)
        {
            context.EnvironmentVariables["Console__DashboardUrl"] = urls.Split(';')[0];
        }
    })
    .WithOtelFromHost()
    .WithHttpHealthCheck("/health");

// Gateway: the one public door, with an HTTP/2 port of its own for gRPC clients from outside.
var gateway = builder.AddProject<Projects.Gateway>("gateway")
    .WithPublicEndpoints(gatewayPort, gatewayGrpcPort)
    .WithReference(redis).WaitFor(redis)
    .WithReference(sessionRunner).WaitFor(sessionRunner)
    .WithReference(managementApi).WaitFor(managementApi)
    .WithReference(zaiProxy).WaitFor(zaiProxy)
    .WithReference(comfyBridge).WaitFor(comfyBridge)
    .WithReference(console)
    // The public agent-control port, relayed to ManagementApi's.
    .WithAgentControlEndpoint(agentControlPort, "Gateway")
    .WithEnvironment("services__management-api__agent-control__0", managementApi.GetEndpoint("agent-control"))
    .WithEnvironment("MANAGEMENT_API_KEY", adminKey)
    .WithEnvironment("Identity__Secret", identitySecret)
    // Cors__Origins__0, ... and RateLimiting__* from the environment, for deployments that set them.
    .WithEnvironmentFromHost("Cors__")
    .WithEnvironmentFromHost("RateLimiting__")
    .WithOtelFromHost()
    .WithHttpHealthCheck("/health");

console.WithReference(gateway);

if (builder.ExecutionContext.IsPublishMode)
{
    await builder.Build().RunAsync();
    return kubernetes is null ? 0 : await kubernetes.WriteAsync(FleetHome.RepositoryRoot(builder));
}

// Supervision (run mode): one AppHost per .fleet, what a killed run left stopped, restarts with backoff, and the
// resource snapshot scripts read.
using var runLock = RunLock.TryAcquire(fleetHome);
if (runLock is null)
{
    Console.Error.WriteLine($"Another AppHost is running on {fleetHome}. Stop it first, or set FLEET_HOME to another directory.");
    return 1;
}
var supervision = Path.Combine(fleetHome, "apphost");
await LeftoverProcesses.StopLeftoversAsync(Path.Combine(supervision, "processes.json"), Console.Out);
// A snapshot left by a run that was killed would show resources Running that are not.
File.Delete(Path.Combine(supervision, "resources.json"));
builder.Services.AddSingleton(new LeftoverProcesses(Path.Combine(supervision, "processes.json")));
builder.Services.AddSingleton(new SnapshotPath(Path.Combine(supervision, "resources.json")));
builder.Services.AddSingleton<RestartOnExit>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<RestartOnExit>());
builder.Services.AddHostedService<ResourceSnapshotFile>();
await builder.Build().RunAsync();
return 0;
