using AgentFleet.Grpc.Server;
using Grpc.Health.V1;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace AgentFleet.Grpc.Health;

/// <summary>
/// Reports the service's readiness (its ASP.NET Core health checks, the same as <c>/ready</c>): the empty
/// name means the whole server; a served service's name reports the same; any other name is NOT_FOUND
/// for Check and SERVICE_UNKNOWN for Watch, as the protocol says.
/// </summary>
internal sealed class HealthService(HealthCheckService checks, GrpcServiceRegistry registry, IOptions<GrpcServerOptions> options) : HealthGrpc.HealthBase
{
    public override async Task<HealthCheckResponse> CheckAsync(HealthCheckRequest request, ServerCallContext context)
    {
        if (!IsKnown(request.Service))
        {
            throw new RpcException(StatusCode.NotFound, $"Unknown service '{request.Service}'.");
        }
        return new HealthCheckResponse { Status = await ReadAsync(context.CancellationToken) };
    }

    public override async Task WatchAsync(HealthCheckRequest request, IAsyncStreamWriter<HealthCheckResponse> responses, ServerCallContext context)
    {
        HealthCheckResponse.Types.ServingStatus? last = null;
        while (!context.CancellationToken.IsCancellationRequested)
        {
            var status = IsKnown(request.Service) ? await ReadAsync(context.CancellationToken) : HealthCheckResponse.Types.ServingStatus.ServiceUnknown;
            if (status != last)
            {
                await responses.WriteAsync(new HealthCheckResponse { Status = status }, context.CancellationToken);
                last = status;
            }
            await Task.Delay(options.Value.HealthWatchInterval, context.CancellationToken);
        }
    }

    private bool IsKnown(string service) => service.Length == 0 || registry.Contains(service);

    private async Task<HealthCheckResponse.Types.ServingStatus> ReadAsync(CancellationToken cancellationToken)
    {
        var report = await checks.CheckHealthAsync(cancellationToken);
        return report.Status == HealthStatus.Unhealthy
            ? HealthCheckResponse.Types.ServingStatus.NotServing
            : HealthCheckResponse.Types.ServingStatus.Serving;
    }
}
