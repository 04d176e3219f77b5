using AgentFleet.AppHost;
using AgentFleet.Hosting;

var builder = DistributedApplication.CreateBuilder(args);

// Infrastructure
var postgres = builder.AddPostgres("postgres");
var fleetDb = postgres.AddDatabase("fleetdb");
var redis = builder.AddRedis("redis");
var adminKey = builder.AddParameter("management-api-key", secret: true);
// Signs the per-session keys agents present to ZaiProxy; only the runner and the proxy hold it.
var sessionKeySecret = builder.AddParameter("session-key-secret", secret: true);
// Signs the caller identity the gateway forwards; services refuse API requests without it.
var identitySecret = builder.AddParameter("identity-secret", secret: true);
// Signs the webhooks ComfyBridge sends when a workflow ends; receivers verify with it (COMFYUI_WEBHOOK_SECRET).
var webhookSecret = builder.AddParameter("comfyui-webhook-secret", secret: true);

// Services
var zaiProxy = builder.AddProject<Projects.ZaiProxy>("zai-proxy")
    .WithGrpcEndpoint()
    .WithEnvironment("SessionKeys__Secret", sessionKeySecret)
    .WithEnvironment("Identity__Secret", identitySecret)
    // Upstream__ApiKey (and Upstream__BaseUrl, ...) from the environment; without a key it answers from its simulated model.
    .WithEnvironmentFromHost("Upstream__")
    .WithEnvironmentFromHost("CLAUDE_")
    .WithZaiProxyDefaults(builder)
    .WithReference(fleetDb).WaitFor(fleetDb)
    .WithHttpHealthCheck("/health");

var sessionRunner = builder.AddProject<Projects.SessionRunner>("session-runner")
    .WithGrpcEndpoint()
    .WithReference(fleetDb).WaitFor(fleetDb)
    .WithReference(redis).WaitFor(redis)
    .WithReference(zaiProxy).WaitFor(zaiProxy)
    .WithEnvironment("SessionKeys__Secret", sessionKeySecret)
    .WithEnvironment("Identity__Secret", identitySecret)
    .WithAgentRunnerDefaults(builder)
    // SessionRunner__Sandbox__Mode, SessionRunner__Command__AllowedRoles__0, ... from the environment.
    .WithEnvironmentFromHost("SessionRunner__")
    .WithHttpHealthCheck("/health");

var comfyBridge = builder.AddProject<Projects.ComfyBridge>("comfy-bridge")
    .WithGrpcEndpoint()
    .WithReference(fleetDb).WaitFor(fleetDb)
    .WithEnvironment("Identity__Secret", identitySecret)
    .WithEnvironment("ComfyUI__WebhookSecret", webhookSecret)
    .WithComfyBridgeDefaults(builder)
    // ComfyUI__Servers__0, ... (and any other ComfyUI__ setting) from the environment.
    .WithEnvironmentFromHost("ComfyUI__")
    .WithHttpHealthCheck("/health");

var managementApi = builder.AddProject<Projects.ManagementApi>("management-api")
    .WithGrpcEndpoint()
    .WithReference(fleetDb).WaitFor(fleetDb)
    .WithReference(redis).WaitFor(redis)
    .WithReference(sessionRunner).WaitFor(sessionRunner)
    .WithReference(zaiProxy)
    .WithReference(comfyBridge)
    .WithEnvironment("Identity__Secret", identitySecret)
    .WithHttpHealthCheck("/health");

// Gateway: the one public port
builder.AddProject<Projects.Gateway>("gateway")
    .WithHttpEndpoint(port: Extensions.GatewayPort())
    // gRPC clients from outside, on an HTTP/2-only port of its own.
    .WithEndpoint("grpc", "http", port: Extensions.GatewayGrpcPort(), http2Only: true)
    .WithReference(redis).WaitFor(redis)
    .WithReference(sessionRunner).WaitFor(sessionRunner)
    .WithReference(managementApi).WaitFor(managementApi)
    .WithReference(zaiProxy).WaitFor(zaiProxy)
    .WithReference(comfyBridge).WaitFor(comfyBridge)
    .WithEnvironment("MANAGEMENT_API_KEY", adminKey)
    .WithEnvironment("Identity__Secret", identitySecret)
    // Cors__Origins__0, ... and RateLimiting__* from the environment, for deployments that set them.
    .WithEnvironmentFromHost("Cors__")
    .WithEnvironmentFromHost("RateLimiting__")
    .WithHttpHealthCheck("/health");

await builder.Build().RunAsync();
