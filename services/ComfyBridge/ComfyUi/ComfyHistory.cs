using System.Text.Json.Nodes;

namespace AgentFleet.ComfyBridge.ComfyUi;

/// <summary>A file an output node saved, as ComfyUI names it for <c>/view</c>.</summary>
public sealed record ComfyFile(string FileName, string Subfolder, string Type);

/// <summary>How a prompt ended according to its <c>/history</c> entry.</summary>
public enum ComfyOutcome
{
    Success,
    Error,
    Interrupted,
}

/// <summary>A <c>/history/{prompt_id}</c> entry read for what the bridge needs: the outcome, the error, the saved files.</summary>
public sealed record ComfyHistory(ComfyOutcome Outcome, string? Error, string? ErrorNode, IReadOnlyList<(string Node, ComfyFile File)> Files)
{
    // The output lists ComfyUI's nodes fill: SaveImage and PreviewImage ("images"), animated and video nodes ("gifs", "videos"), audio.
    private static readonly string[] FileLists = ["images", "gifs", "videos", "audio"];

    public static ComfyHistory Parse(JsonObject entry)
    {
        var status = entry["status"] as JsonObject;
        var messages = status?["messages"]?.AsArray() ?? [];
        JsonObject? Message(string type) => messages.Select(m => m as JsonArray).FirstOrDefault(m => m?[0]?.GetValue<string>() == type)?[1] as JsonObject;
        var files = (entry["outputs"] as JsonObject ?? []).SelectMany(o => FilesOf(o.Value).Select(file => (o.Key, file))).ToList();
        if (Message("execution_error") is { } error)
        {
            return new ComfyHistory(ComfyOutcome.Error, error["exception_message"]?.GetValue<string>() ?? "The workflow failed.", error["node_id"]?.GetValue<string>(), files);
        }
        if (Message("execution_interrupted") is { } interrupted)
        {
            return new ComfyHistory(ComfyOutcome.Interrupted, "The workflow was interrupted.", interrupted["node_id"]?.GetValue<string>(), files);
        }
        var succeeded = status is null || status["status_str"]?.GetValue<string>() == "success" || status["completed"]?.GetValue<bool>() == true;
        return new ComfyHistory(succeeded ? ComfyOutcome.Success : ComfyOutcome.Error, succeeded ? null : "ComfyUI reports the workflow did not complete.", null, files);
    }

    /// <summary>The saved files of one node's output (<c>executed.output</c>, or an entry of the history's <c>outputs</c>).</summary>
    public static IEnumerable<ComfyFile> FilesOf(JsonNode? output)
    {
        foreach (var list in FileLists)
        {
            foreach (var file in output?[list] as JsonArray ?? [])
            {
                // "temp" files are previews ComfyUI deletes on its own; only saved outputs are the job's results.
                if (file?["filename"]?.GetValue<string>() is { Length: > 0 } name && (file["type"]?.GetValue<string>() ?? "output") == "output")
                {
                    yield return new ComfyFile(name, file["subfolder"]?.GetValue<string>() ?? "", "output");
                }
            }
        }
    }
}
