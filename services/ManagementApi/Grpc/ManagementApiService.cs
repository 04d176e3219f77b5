using Grpc.Core;
using AgentFleet.ManagementApi.Contracts;
using AgentFleet.ManagementApi.Services;

namespace AgentFleet.ManagementApi.Grpc;

/// <summary>Serves management_api.proto: the gateway's key lookups.</summary>
internal sealed class ManagementApiService(ApiKeyStore keys) : ManagementApiGrpc.ManagementApiBase
{
    public override async Task<VerifyKeyReply> VerifyKey(VerifyKeyRequest request, ServerCallContext context)
    {
        if (request.KeySha256.Length != 32)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "key_sha256 must be the 32 bytes of a SHA-256."));
        }
        return await keys.VerifyAsync(request.KeySha256.ToByteArray(), context.CancellationToken) is { } key
            ? new VerifyKeyReply { Valid = true, KeyId = key.Id.ToString(), Name = key.Name, Role = key.Role, Owner = key.Owner }
            : new VerifyKeyReply { Valid = false };
    }
}
