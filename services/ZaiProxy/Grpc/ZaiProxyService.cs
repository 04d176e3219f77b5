using Grpc.Core;
using AgentFleet.ZaiProxy.Accounting;
using AgentFleet.ZaiProxy.Contracts;
using AgentFleet.ZaiProxy.Pool;

namespace AgentFleet.ZaiProxy.Grpc;

/// <summary>Serves zai_proxy.proto: the pool's state and usage totals for ManagementApi and operators.</summary>
internal sealed class ZaiProxyService(WorkerPool pool, PoolHealth health, UsageQueries usage, UsageReports reports) : ZaiProxyGrpc.ZaiProxyBase
{
    public override Task<UsageReport> GetUsageReport(UsageReportRequest request, ServerCallContext context)
    {
        if (!UsageReports.Groups.ContainsKey(request.GroupBy))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"group_by must be one of {string.Join(", ", UsageReports.Groups.Keys)}."));
        }
        return reports.ReportAsync(request, context.CancellationToken);
    }

    public override Task<PoolStatus> GetPoolStatus(PoolStatusRequest request, ServerCallContext context) =>
        Task.FromResult(new PoolStatus
        {
            WorkersSize = pool.Size,
            WorkersBusy = pool.Busy,
            QueueLength = pool.QueueLength,
            QueueMax = pool.MaxQueue,
            UptimeSeconds = health.UptimeSeconds,
        });

    public override Task<UsageSummary> GetUsage(UsageQuery request, ServerCallContext context)
    {
        if (request.SessionId is { Length: > 0 } id && !Guid.TryParse(id, out _))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "session_id must be a UUID."));
        }
        return usage.SummarizeAsync(request, context.CancellationToken);
    }
}
