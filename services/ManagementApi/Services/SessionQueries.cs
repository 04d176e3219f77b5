using AgentFleet.ManagementApi.Model;
using AgentFleet.SessionRunner.Contracts;
using Grpc.Core;

namespace AgentFleet.ManagementApi.Services;

/// <summary>
/// Sessions as SessionRunner keeps them (their record, their status, their events), read through its gRPC contract:
/// the runner is their one owner, and ManagementApi reads none of its tables.
/// </summary>
public sealed class SessionQueries(RunnerDirectory runners)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    /// <summary>The session, if it exists and <paramref name="owner"/> (null: anyone) owns it.</summary>
    public async Task<SessionView?> FindAsync(Guid id, string? owner, CancellationToken cancellationToken)
    {
        try
        {
            var record = await runners.ReadAsync(runner => runner.FindSessionAsync(new SessionRef { SessionId = id.ToString() }, Options(cancellationToken)).ResponseAsync);
            return owner is null || record.Owner == owner ? ViewOf(record) : null;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
        catch (RpcException e)
        {
            throw RunnerErrors.ToProblem(e);
        }
    }

    public async Task<SessionPage> ListAsync(string? status, string? owner, int limit, int offset, CancellationToken cancellationToken, Guid? parent = null)
    {
        var list = await RunnerErrors.CallAsync(() => runners.ReadAsync(runner => runner.ListSessionsAsync(
            new ListSessionsRequest { Owner = owner ?? "", Status = status ?? "", Limit = limit, Offset = offset, ParentSessionId = parent?.ToString() ?? "" },
            Options(cancellationToken)).ResponseAsync));
        return new SessionPage([.. list.Sessions.Select(ViewOf)], list.Total, limit, offset);
    }

    /// <summary>Events with a sequence of at least <paramref name="fromSequence"/>, in order, at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<SessionEvent>> ReadEventsAsync(Guid id, long fromSequence, int limit, CancellationToken cancellationToken)
    {
        var page = await RunnerErrors.CallAsync(() => runners.ReadAsync(runner => runner.ReadEventsAsync(
            new ReadEventsRequest { SessionId = id.ToString(), FromSequence = fromSequence, Limit = limit }, Options(cancellationToken)).ResponseAsync));
        return page.Events;
    }

    private static CallOptions Options(CancellationToken cancellationToken) => new(deadline: DateTime.UtcNow + Deadline, cancellationToken: cancellationToken);

    private static SessionView ViewOf(SessionRecord r)
    {
        var id = Guid.Parse(r.SessionId);
        return new SessionView(
            id, r.Owner, r.Agent, r.Task, NullIfEmpty(r.Provider), NullIfEmpty(r.Model), r.Status, r.CreatedAt.ToDateTimeOffset(),
            r.StartedAt?.ToDateTimeOffset(), r.EndedAt?.ToDateTimeOffset(),
            r.HasDurationMs ? r.DurationMs : null, r.HasExitCode ? r.ExitCode : null, r.HasTotalCostUsd ? r.TotalCostUsd : null,
            NullIfEmpty(r.AgentSessionId), r.LastSequence,
            r.Usage is { } u ? new Model.SessionUsage(u.InputTokens, u.OutputTokens, u.CacheReadTokens, u.CacheCreationTokens) : null,
            null, SessionLinksFor.Session(id), null, Guid.TryParse(r.ParentSessionId, out var parent) ? parent : null, Math.Max(1, r.Depth),
            NullIfEmpty(r.RunnerId));
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
