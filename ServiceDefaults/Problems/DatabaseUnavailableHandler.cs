using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AgentFleet.ServiceDefaults.Problems;

/// <summary>
/// PostgreSQL down, restarting, refusing connections or out of them is not the caller's fault nor a bug: every such
/// failure is a 503 <c>database_unavailable</c> with <c>Retry-After</c>, from the first request on, never a 500.
/// </summary>
public sealed partial class DatabaseUnavailableHandler(IProblemDetailsService problems, ILogger<DatabaseUnavailableHandler> logger) : IExceptionHandler
{
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsUnavailable(exception) || context.Response.HasStarted)
        {
            return false;
        }
        LogUnavailable(logger, exception.Message);
        await problems.WriteProblemAsync(context, StatusCodes.Status503ServiceUnavailable, ProblemCodes.DatabaseUnavailable,
            "The database is unavailable.", "The service cannot reach its database right now; nothing was changed by this request unless it says otherwise.",
            retryAfter: RetryAfter);
        return true;
    }

    /// <summary>A connection that failed or broke, or a server that is shutting down, starting or full.</summary>
    public static bool IsUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException postgres:
                    // 08: connection exception; 57P01-03: shutdown, crash shutdown, cannot connect now; 53300: too many connections.
                    return postgres.SqlState.StartsWith("08", StringComparison.Ordinal) || postgres.SqlState is "57P01" or "57P02" or "57P03" or "53300";
                case NpgsqlException npgsql when npgsql.IsTransient || npgsql.InnerException is System.Net.Sockets.SocketException or IOException or TimeoutException:
                    return true;
            }
        }
        return false;
    }

    [LoggerMessage(LogLevel.Warning, "The database is unavailable: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
