using AgentFleet.ManagementApi.Apis;
using System.Security.Cryptography;
using AgentFleet.ManagementApi.Services;
using AgentFleet.ServiceDefaults.Security;
using AgentFleet.SessionRunner.Contracts;
using Grpc.Core;

namespace AgentFleet.ManagementApi.Mcp;

/// <summary>
/// Who presents a key to the fleet's MCP server without the gateway in between: a person's API key on the TCP port
/// (the admin key, <c>MANAGEMENT_API_KEY</c>, or a key from <c>api_keys</c>), or an agent's session key
/// (<c>fsk_...</c>), which acts for its session's owner with operator rights at most, and only while that session is live.
/// </summary>
public sealed class McpCallers(ApiKeyStore keys, SessionKeys sessionKeys, Services.RunnerDirectory runners, IConfiguration configuration)
{
    private readonly byte[]? _adminHash = configuration["MANAGEMENT_API_KEY"] is { Length: > 0 } admin ? ApiKeyStore.Hash(admin) : null;

    public static readonly CallerIdentity Admin = new("admin", "admin", CallerRole.Admin);

    /// <summary>The key's caller, or null for a key that is unknown, revoked, or a finished session's.</summary>
    public async Task<CallerIdentity?> ResolveAsync(string key, CancellationToken cancellationToken)
    {
        if (key.StartsWith("fsk_", StringComparison.Ordinal))
        {
            return await FromSessionKeyAsync(key, cancellationToken);
        }
        var hash = ApiKeyStore.Hash(key);
        if (_adminHash is not null && CryptographicOperations.FixedTimeEquals(hash, _adminHash))
        {
            return Admin;
        }
        return await keys.VerifyAsync(hash, cancellationToken) is { } found && CallerIdentity.TryParseRole(found.Role, out var role)
            ? new CallerIdentity(found.Id.ToString(), found.Owner, role)
            : null;
    }

    public async Task<CallerIdentity?> FromSessionKeyAsync(string key, CancellationToken cancellationToken)
    {
        if (sessionKeys.Verify(key) is not { } session)
        {
            return null;
        }
        SessionRecord record;
        try
        {
            record = await runners.ReadAsync(runner => runner.FindSessionAsync(new SessionRef { SessionId = session.SessionId },
                new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: cancellationToken)).ResponseAsync);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
        catch (RpcException e)
        {
            throw RunnerErrors.ToProblem(e);
        }
        if (!SessionsApi.ActiveStatuses.Contains(record.Status))
        {
            return null;
        }
        // The key that started the tree pays for its children too, and its budget is checked for them.
        var payer = record.CreatedByKey is { Length: > 0 } createdBy ? createdBy : Admin.KeyId;
        return new CallerIdentity(payer, record.Owner, CallerRole.Operator) { Agent = new AgentCaller(Guid.Parse(record.SessionId), Math.Max(1, record.Depth)) };
    }
}
