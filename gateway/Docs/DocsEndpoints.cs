using AgentFleet.Gateway.Configuration;
using AgentFleet.ServiceDefaults.Problems;

namespace AgentFleet.Gateway.Docs;

/// <summary>
/// <c>/docs</c>: a page (Swagger UI) that browses each service's OpenAPI document, fetched through the gateway at
/// <c>/docs/{cluster}/openapi.json</c> from the service's own <c>/openapi/v1.json</c>. Open, like <c>/health</c>:
/// the documents describe the API, they grant nothing.
/// </summary>
public static class DocsEndpoints
{
    /// <summary>The clusters whose documents <c>/docs</c> lists: <c>Docs:Clusters</c>, by default the three public services.</summary>
    private static string[] DocumentedClusters(IConfiguration configuration) =>
        configuration.GetSection("Docs:Clusters").Get<string[]>() ?? ["management-api", "zai-proxy", "comfy-bridge"];

    public static WebApplication UseGatewayDocs(this WebApplication app)
    {
        var clusters = DocumentedClusters(app.Configuration);
        app.UseSwaggerUI(options =>
        {
            options.RoutePrefix = "docs";
            options.DocumentTitle = "Agent Fleet API";
            foreach (var cluster in clusters)
            {
                options.SwaggerEndpoint($"/docs/{cluster}/openapi.json", cluster);
            }
        });
        app.MapGet("/docs/{cluster}/openapi.json", (string cluster, HttpContext context, IReadOnlyList<ProxyRoute> routes, HttpMessageInvoker invoker) =>
            GetDocument(cluster, clusters, context, routes, invoker)).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static async Task GetDocument(string cluster, string[] documented, HttpContext context, IReadOnlyList<ProxyRoute> routes, HttpMessageInvoker invoker)
    {
        var target = documented.Contains(cluster)
            ? routes.Select(r => r.Cluster).FirstOrDefault(c => string.Equals(c.Id, cluster, StringComparison.OrdinalIgnoreCase))
            : null;
        if (target is null)
        {
            throw new ProblemException(StatusCodes.Status404NotFound, ProblemCodes.NotFound, "No such document.", $"'{cluster}' is not a documented service.");
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(target.NextDestination(), "/openapi/v1.json"));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        HttpResponseMessage response;
        try
        {
            response = await invoker.SendAsync(request, timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            throw new ProblemException(StatusCodes.Status502BadGateway, ProblemCodes.BadGateway, "The service is unreachable.", $"{cluster} did not serve its document.");
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new ProblemException(StatusCodes.Status502BadGateway, ProblemCodes.BadGateway, "The service has no document.",
                    $"{cluster} answered {(int)response.StatusCode} for /openapi/v1.json.");
            }
            context.Response.ContentType = "application/json; charset=utf-8";
            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        }
    }
}
