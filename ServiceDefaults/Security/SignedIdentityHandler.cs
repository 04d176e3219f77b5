namespace AgentFleet.ServiceDefaults.Security;

/// <summary>
/// Signs each outgoing request as <paramref name="identity"/>, as the gateway would: for tests, benchmarks and tools
/// that call a service directly.
/// </summary>
public sealed class SignedIdentityHandler(IdentitySigner signer, CallerIdentity identity, HttpMessageHandler? inner = null)
    : DelegatingHandler(inner ?? new SocketsHttpHandler { UseProxy = false })
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Sign(request);
        return base.SendAsync(request, cancellationToken);
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Sign(request);
        return base.Send(request, cancellationToken);
    }

    private void Sign(HttpRequestMessage request)
    {
        foreach (var name in (string[])[IdentityHeaders.KeyId, IdentityHeaders.Owner, IdentityHeaders.Role, IdentityHeaders.Issued, IdentityHeaders.Signature])
        {
            request.Headers.Remove(name);
        }
        signer.Sign(identity, request.Method.Method, request.RequestUri!.AbsolutePath, (name, value) => request.Headers.TryAddWithoutValidation(name, value));
    }
}
