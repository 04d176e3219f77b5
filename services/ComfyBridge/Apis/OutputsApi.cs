using AgentFleet.ComfyBridge.ComfyUi;
using AgentFleet.ComfyBridge.Model;
using AgentFleet.ComfyBridge.Outputs;
using AgentFleet.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentFleet.ComfyBridge.Apis;

public static class OutputsApi
{
    public const string OutputsPath = "/v1/comfyui/outputs";

    public static IEndpointRouteBuilder MapOutputsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/comfyui").WithTags("ComfyUI outputs").ProducesProblems(ProblemResponses.Common);
        api.MapGet("/outputs", ListOutputs).WithName("ListOutputs").WithSummary("Files the caller's workflows produced, newest first");
        // A catch-all, so "a/b" and "/etc/passwd" reach the name check (and get 400) instead of missing the route.
        api.MapGet("/outputs/{**file}", GetOutput).WithName("GetOutput").WithSummary("One output file, streamed with its content type");
        api.MapGet("/models", ListModels).WithName("ListModels").WithSummary("Models per folder (checkpoints, loras, vae, ...)");
        return app;
    }

    public static async Task<Ok<OutputPage>> ListOutputs([AsParameters] ComfyServices services, int? limit, int? offset, Guid? workflowId, CancellationToken cancellationToken)
    {
        var size = ComfyProblems.PageSize(limit, offset);
        return TypedResults.Ok(await services.Outputs.ListAsync(services.OwnerFilter, workflowId, size, offset ?? 0, cancellationToken));
    }

    public static async Task<IResult> GetOutput(string file, [AsParameters] ComfyServices services, CancellationToken cancellationToken)
    {
        if (!OutputNames.IsValid(file))
        {
            throw InvalidName();
        }
        var output = await services.Outputs.FindAsync(file, services.OwnerFilter, cancellationToken);
        var path = services.Outputs.PathOf(file);
        if (output is null || !File.Exists(path))
        {
            throw new ProblemException(StatusCodes.Status404NotFound, ProblemCodes.NotFound, "No such output.", $"There is no output named '{file}'.",
                "GET /v1/comfyui/outputs lists them; outputs are deleted after the retention.");
        }
        return TypedResults.PhysicalFile(path, output.ContentType, enableRangeProcessing: true);
    }

    public static async Task<Ok<Dictionary<string, IReadOnlyList<string>>>> ListModels([AsParameters] ComfyServices services, CancellationToken cancellationToken)
    {
        if (!services.Pool.IsConfigured)
        {
            throw ComfyProblems.NotConfigured();
        }
        // Every reachable server's models, merged: a model any server has can be asked for.
        var models = new Dictionary<string, SortedSet<string>>();
        var reached = false;
        foreach (var server in services.Pool.Servers)
        {
            try
            {
                foreach (var folder in await server.Client.GetModelFoldersAsync(cancellationToken))
                {
                    var set = models.TryGetValue(folder, out var existing) ? existing : models[folder] = new SortedSet<string>(StringComparer.Ordinal);
                    set.UnionWith(await server.Client.GetModelsAsync(folder, cancellationToken));
                }
                reached = true;
            }
            catch (Exception e) when (ComfyUiClient.Unanswered(e, cancellationToken))
            {
                // That server is skipped; the others answer.
            }
        }
        if (!reached)
        {
            throw ComfyProblems.Unavailable();
        }
        return TypedResults.Ok(models.ToDictionary(m => m.Key, m => (IReadOnlyList<string>)[.. m.Value]));
    }

    /// <summary>
    /// Kestrel resolves <c>..</c> segments (percent-encoded ones too) before routing, so such a request would quietly
    /// reach another path; under <see cref="OutputsPath"/> it is refused for what it is, judged on the raw request target.
    /// Stored names never need percent-encoding, so any encoded character there is refused as well.
    /// </summary>
    public static IApplicationBuilder UseOutputNameGuard(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var raw = AgentFleet.ServiceDefaults.Security.IdentitySigner.RawPath(context);
        if (raw.StartsWith(OutputsPath + "/", StringComparison.OrdinalIgnoreCase))
        {
            var name = raw[(OutputsPath.Length + 1)..];
            if (name.Contains('%') || !OutputNames.IsValid(name))
            {
                throw InvalidName();
            }
        }
        await next(context);
    });

    private static ProblemException InvalidName() =>
        new(StatusCodes.Status400BadRequest, ComfyProblemCodes.InvalidOutputName, "Not an output name.",
            "An output is named by one plain file name: no '/', '\\', '..', leading '.', encoded characters or absolute paths.",
            "Use a name as GET /v1/comfyui/outputs lists it.");
}
