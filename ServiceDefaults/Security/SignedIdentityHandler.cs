namespace AgentFleet.ServiceDefaults.Security;

/// <summary>
/// Signs each outgoing request as <c>identity</c>, as the gateway does for its callers: services calling services,
/// and tests, benchmarks and tools that call a service directly.
/// </summary>
public sealed class SignedIdentityHandler : DelegatingHandler
{
    private readonly IdentitySigner _signer;
    private readonly CallerIdentity _identity;

    /// <summary>For an HttpClient factory pipeline, which sets the inner handler.</summary>
    public SignedIdentityHandler(IdentitySigner signer, CallerIdentity identity)
    {
        _signer = signer;
        _identity = identity;
    }

    /// <summary>Over <paramref name="inner"/>, for a client built by hand.</summary>
    public SignedIdentityHandler(IdentitySigner signer, CallerIdentity identity, HttpMessageHandler inner) : base(inner)
    {
        _signer = signer;
        _identity = identity;
    }

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
        _signer.Sign(_identity, request.Method.Method, request.RequestUri!.AbsolutePath, (name, value) => request.Headers.TryAddWithoutValidation(name, value));
    }
}
