using AgentFleet.ComfyBridge.Options;
using Microsoft.Extensions.Options;

namespace AgentFleet.ComfyBridge.ComfyUi;

/// <summary>The configured ComfyUI servers, and the choice of the one that should take new work.</summary>
public sealed class ComfyServerPool
{
    private readonly Dictionary<string, ComfyServer> _byUrl;

    public ComfyServerPool(IOptions<ComfyOptions> options, IHttpClientFactory httpClients)
    {
        Servers = [.. options.Value.Servers.Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s.Trim().TrimEnd('/')).Distinct().Select(url =>
        {
            var http = httpClients.CreateClient("comfyui");
            http.BaseAddress = new Uri(url);
            http.Timeout = TimeSpan.FromSeconds(30);
            return new ComfyServer(url, new ComfyUiClient(http));
        })];
        _byUrl = Servers.ToDictionary(s => s.Url);
    }

    public IReadOnlyList<ComfyServer> Servers { get; }

    public bool IsConfigured => Servers.Count > 0;

    public ComfyServer? Find(string? url) => url is not null && _byUrl.TryGetValue(url, out var server) ? server : null;

    /// <summary>
    /// The reachable server with the fewest prompts running and waiting (its own <c>/queue</c>, asked now), ties to
    /// the first configured; null when none answers.
    /// </summary>
    public async Task<ComfyServer?> PickLeastBusyAsync(CancellationToken cancellationToken)
    {
        var loads = await Task.WhenAll(Servers.Select(async server =>
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(3));
                var queue = await server.Client.GetQueueAsync(timeout.Token);
                return (server, load: queue.Running.Count + queue.Pending.Count);
            }
            catch (Exception e) when (ComfyUiClient.Unanswered(e, cancellationToken))
            {
                server.LastError = e.Message;
                return (server, load: int.MaxValue);
            }
        }));
        var best = loads.Where(l => l.load != int.MaxValue).OrderBy(l => l.load).FirstOrDefault();
        return best.server;
    }
}
