using System.Collections.Concurrent;
using AgentFleet.ServiceDefaults.Problems;
using AgentFleet.ServiceDefaults.Security;
using AgentFleet.SessionRunner.Contracts;
using Grpc.Core;
using Grpc.Net.Client;

namespace AgentFleet.ManagementApi.Services;

/// <summary>
/// Which runner does what when several share the database. Each runner announces its address and load (asked of any
/// runner with <c>ListRunners</c>, kept for a second); a session's commands go to the runner that holds it, and a new
/// session goes to the least-loaded runner. With one runner, or runners that announce no address, every call goes
/// through service discovery, as before there were several.
/// </summary>
public sealed partial class RunnerDirectory(SessionRunnerGrpc.SessionRunnerClient any, IdentitySigner signer, ILogger<RunnerDirectory> logger) : IDisposable
{
    private static readonly TimeSpan Fresh = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, (GrpcChannel Channel, SessionRunnerGrpc.SessionRunnerClient Client)> _clients = new();
    // Sessions placed since the snapshot was read, which its load figures do not show yet: a burst spreads out.
    private readonly ConcurrentDictionary<string, int> _placedSinceSnapshot = new();
    private volatile Snapshot? _snapshot;

    private sealed record Snapshot(DateTime At, IReadOnlyList<RunnerStatus> Runners);

    /// <summary>
    /// A call any runner answers alike from the database (records, events, approvals, runners): through service
    /// discovery, and when that runner cannot be reached, through each live runner known until one answers.
    /// </summary>
    public async Task<T> ReadAsync<T>(Func<SessionRunnerGrpc.SessionRunnerClient, Task<T>> call)
    {
        try
        {
            return await call(any);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && _snapshot is { } snapshot)
        {
            foreach (var runner in snapshot.Runners.Where(r => r.GrpcAddress.Length > 0))
            {
                try
                {
                    return await call(ClientOf(runner));
                }
                catch (RpcException next) when (next.StatusCode == StatusCode.Unavailable)
                {
                }
            }
            throw;
        }
    }

    /// <summary>The runners whose heartbeat is current; empty when none announces itself (or none can be asked).</summary>
    public async Task<IReadOnlyList<RunnerStatus>> LiveAsync(CancellationToken cancellationToken)
    {
        if (_snapshot is { } snapshot && DateTime.UtcNow - snapshot.At < Fresh)
        {
            return snapshot.Runners;
        }
        try
        {
            var list = await ReadAsync(runner => runner.ListRunnersAsync(new ListRunnersRequest(),
                new CallOptions(deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: cancellationToken)).ResponseAsync);
            _placedSinceSnapshot.Clear();
            _snapshot = new Snapshot(DateTime.UtcNow, [.. list.Runners]);
            return _snapshot.Runners;
        }
        catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled)
        {
            LogDirectoryUnavailable(logger, e.StatusCode.ToString());
            return _snapshot?.Runners ?? [];
        }
    }

    /// <summary>
    /// The client of the runner that holds a session. A holder that is not among the live runners is down or
    /// restarting: its session cannot be acted on now (503 <c>service_unavailable</c>), and no other runner has it.
    /// </summary>
    public async Task<SessionRunnerGrpc.SessionRunnerClient> ForRunnerAsync(string? runnerId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(runnerId))
        {
            return any;
        }
        var runners = await LiveAsync(cancellationToken);
        if (runners.Count == 0)
        {
            return any;
        }
        return runners.FirstOrDefault(r => r.RunnerId == runnerId) is { } runner
            ? ClientOf(runner)
            : throw new ProblemException(StatusCodes.Status503ServiceUnavailable, ProblemCodes.Unavailable, "The session's runner is not running.",
                $"Runner {runnerId} holds this session and has not been heard from; its sessions can be acted on once it is back.",
                "Try again in a moment; GET /v1/status lists the runners.");
    }

    /// <summary>
    /// Where a new session runs: with its parent, when an agent started it (its events and budget are the parent's
    /// runner's to keep); else on the live runner with the most room, counting what was just placed.
    /// </summary>
    public async Task<(SessionRunnerGrpc.SessionRunnerClient Client, string? RunnerId)> PlaceAsync(string? parentRunnerId, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(parentRunnerId))
        {
            return (await ForRunnerAsync(parentRunnerId, cancellationToken), parentRunnerId);
        }
        var runners = await LiveAsync(cancellationToken);
        // A runner that cannot confine agents refuses them; it is only chosen when no runner can, so the refusal says why.
        var candidates = runners.Where(r => r.SandboxAvailable).ToList() is { Count: > 0 } able ? able : [.. runners];
        if (candidates.Count == 0)
        {
            return (any, null);
        }
        var chosen = candidates
            .OrderBy(r => (r.Active + r.Queued + _placedSinceSnapshot.GetValueOrDefault(r.RunnerId)) / (double)Math.Max(1, r.MaxConcurrent))
            .ThenBy(_ => Random.Shared.Next())
            .First();
        _placedSinceSnapshot.AddOrUpdate(chosen.RunnerId, 1, (_, placed) => placed + 1);
        return (ClientOf(chosen), chosen.RunnerId);
    }

    private SessionRunnerGrpc.SessionRunnerClient ClientOf(RunnerStatus runner) =>
        runner.GrpcAddress.Length == 0 ? any : _clients.GetOrAdd(runner.GrpcAddress, Connect).Client;

    // Signed as ManagementApi, as the service-discovery client is; each call sets its own deadline. Given an HttpClient
    // (not a handler) the channel connects afresh for each call after a failure, as the factory's clients do, instead of
    // waiting out a reconnect backoff: a runner that restarts is reached as soon as it listens.
    private (GrpcChannel, SessionRunnerGrpc.SessionRunnerClient) Connect(string address)
    {
        var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpClient = new HttpClient(new SignedIdentityHandler(signer, CallerIdentity.Service(Extensions.Extensions.ResourceName),
                new SocketsHttpHandler { EnableMultipleHttp2Connections = true })) { Timeout = Timeout.InfiniteTimeSpan },
            DisposeHttpClient = true,
        });
        return (channel, new SessionRunnerGrpc.SessionRunnerClient(channel));
    }

    public void Dispose()
    {
        foreach (var (channel, _) in _clients.Values)
        {
            channel.Dispose();
        }
    }

    [LoggerMessage(LogLevel.Warning, "The list of runners could not be read ({Status}); using the last one known")]
    private static partial void LogDirectoryUnavailable(ILogger logger, string status);
}
