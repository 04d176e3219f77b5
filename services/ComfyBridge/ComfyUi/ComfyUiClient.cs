using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace AgentFleet.ComfyBridge.ComfyUi;

/// <summary>ComfyUI refused a prompt (400 from <c>/prompt</c>): its <c>error</c> and <c>node_errors</c>, as it sent them.</summary>
public sealed class ComfyUiRejectedException(string message, JsonObject? error, JsonObject? nodeErrors) : Exception(message)
{
    public JsonObject? Error { get; } = error;
    public JsonObject? NodeErrors { get; } = nodeErrors;
}

public sealed record PromptQueued(string PromptId, int Number);

public sealed record QueueState(IReadOnlyList<string> Running, IReadOnlyList<string> Pending);

public sealed record ComfyDevice(string Name, string Type, long VramTotal, long VramFree);

/// <summary>
/// One ComfyUI server's HTTP API, as ComfyUI serves it: queue a prompt (an API-format workflow), read its history,
/// read and edit the queue, interrupt, list node types and models, fetch an output, read the devices.
/// </summary>
public sealed class ComfyUiClient(HttpClient http)
{
    public Uri BaseAddress => http.BaseAddress!;

    /// <summary>
    /// True for what a call to ComfyUI throws when it goes unanswered: no connection, a timeout (not the caller's own
    /// cancellation), or an answer that is not ComfyUI's JSON.
    /// </summary>
    public static bool Unanswered(Exception e, CancellationToken caller) =>
        e is HttpRequestException or System.Text.Json.JsonException || (e is OperationCanceledException && !caller.IsCancellationRequested);

    /// <summary>
    /// Queues an API-format workflow. With <paramref name="promptId"/>, ComfyUI uses that id (it honours a supplied one), so
    /// the caller knows the id before the first message about it can arrive.
    /// </summary>
    public async Task<PromptQueued> QueuePromptAsync(JsonObject workflow, string clientId, string? promptId, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["prompt"] = workflow.DeepClone(), ["client_id"] = clientId };
        if (promptId is not null)
        {
            body["prompt_id"] = promptId;
        }
        using var response = await http.PostAsJsonAsync("/prompt", body, cancellationToken);
        if (response.StatusCode == System.Net.HttpStatusCode.BadRequest)
        {
            var refusal = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
            var error = refusal?["error"] as JsonObject;
            var message = error?["message"]?.GetValue<string>() ?? "ComfyUI refused the workflow.";
            throw new ComfyUiRejectedException(message, error, refusal?["node_errors"] as JsonObject);
        }
        response.EnsureSuccessStatusCode();
        var queued = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
        return new PromptQueued(queued!["prompt_id"]!.GetValue<string>(), queued["number"]?.GetValue<int>() ?? 0);
    }

    /// <summary>The prompt's history entry (<c>outputs</c>, <c>status</c>), or null while it has none (queued, running, or unknown).</summary>
    public async Task<JsonObject?> GetHistoryAsync(string promptId, CancellationToken cancellationToken)
    {
        var history = await http.GetFromJsonAsync<JsonObject>($"/history/{Uri.EscapeDataString(promptId)}", cancellationToken);
        return history?[promptId] as JsonObject;
    }

    public async Task<QueueState> GetQueueAsync(CancellationToken cancellationToken)
    {
        var queue = await http.GetFromJsonAsync<JsonObject>("/queue", cancellationToken);
        static List<string> Ids(JsonNode? entries) => [.. (entries?.AsArray() ?? []).Select(e => e![1]!.GetValue<string>())];
        return new QueueState(Ids(queue?["queue_running"]), Ids(queue?["queue_pending"]));
    }

    /// <summary>Removes prompts that are still waiting; a running one is not affected (see <see cref="InterruptAsync"/>).</summary>
    public async Task DeleteFromQueueAsync(IEnumerable<string> promptIds, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync("/queue", new JsonObject { ["delete"] = new JsonArray([.. promptIds.Select(id => (JsonNode)id)]) }, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Interrupts the running prompt; with <paramref name="promptId"/>, only if it is that one (ComfyUI 0.3.x and later).</summary>
    public async Task InterruptAsync(string? promptId, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync("/interrupt", promptId is null ? new JsonObject() : new JsonObject { ["prompt_id"] = promptId }, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public async Task<JsonObject> GetObjectInfoAsync(CancellationToken cancellationToken) =>
        await http.GetFromJsonAsync<JsonObject>("/object_info", cancellationToken) ?? [];

    public async Task<IReadOnlyList<string>> GetModelFoldersAsync(CancellationToken cancellationToken) =>
        await http.GetFromJsonAsync<string[]>("/models", cancellationToken) ?? [];

    public async Task<IReadOnlyList<string>> GetModelsAsync(string folder, CancellationToken cancellationToken) =>
        await http.GetFromJsonAsync<string[]>($"/models/{Uri.EscapeDataString(folder)}", cancellationToken) ?? [];

    /// <summary>An output file, streamed (dispose the response); a 404 for a file ComfyUI does not have.</summary>
    public Task<HttpResponseMessage> ViewAsync(string filename, string subfolder, string type, CancellationToken cancellationToken) =>
        http.GetAsync($"/view?filename={Uri.EscapeDataString(filename)}&subfolder={Uri.EscapeDataString(subfolder)}&type={Uri.EscapeDataString(type)}",
            HttpCompletionOption.ResponseHeadersRead, cancellationToken);

    public async Task<IReadOnlyList<ComfyDevice>> GetDevicesAsync(CancellationToken cancellationToken)
    {
        var stats = await http.GetFromJsonAsync<JsonObject>("/system_stats", cancellationToken);
        return [.. (stats?["devices"]?.AsArray() ?? []).Select(d => new ComfyDevice(
            d!["name"]?.GetValue<string>() ?? "", d["type"]?.GetValue<string>() ?? "", d["vram_total"]?.GetValue<long>() ?? 0, d["vram_free"]?.GetValue<long>() ?? 0))];
    }
}
