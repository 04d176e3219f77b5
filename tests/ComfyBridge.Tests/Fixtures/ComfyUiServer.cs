using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentFleet.ComfyBridge.Tests.Fixtures;

/// <summary>
/// A ComfyUI stand-in for tests (ComfyUI needs Python, PyTorch and models): its HTTP API (<c>/prompt</c>,
/// <c>/history</c>, <c>/queue</c>, <c>/interrupt</c>, <c>/object_info</c>, <c>/models</c>, <c>/view</c>,
/// <c>/system_stats</c>) and its WebSocket <c>/ws?clientId=</c> with the message sequence ComfyUI sends. One worker
/// runs the queue in order; a <c>KSampler</c> reports <c>steps</c> progress ticks (a binary preview frame with each),
/// a <c>SaveImage</c> writes a PNG, a <c>FailNode</c> fails. Like ComfyUI, the queue and history live in memory and
/// are gone after <see cref="RestartAsync"/>.
/// </summary>
public sealed class ComfyUiServer : IAsyncDisposable
{
    public static readonly string[] NodeTypes = ["CheckpointLoaderSimple", "CLIPTextEncode", "EmptyLatentImage", "KSampler", "VAEDecode", "SaveImage", "FailNode"];

    /// <summary>The smallest PNG: one transparent pixel.</summary>
    public static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==");

    private readonly object _gate = new();
    private readonly List<Job> _pending = [];
    private readonly Dictionary<string, JsonObject> _history = [];
    private readonly ConcurrentDictionary<string, ClientSocket> _sockets = new();
    private readonly SemaphoreSlim _work = new(0);
    private WebApplication _app = null!;
    private CancellationTokenSource _stop = new();
    private Job? _running;
    private int _number;
    private int _imageCounter;

    private ComfyUiServer(int port, string outputDirectory)
    {
        Port = port;
        OutputDirectory = outputDirectory;
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    public string OutputDirectory { get; }

    /// <summary>False plays a ComfyUI from before client-chosen prompt ids: it names every prompt itself.</summary>
    public bool HonourPromptId { get; set; } = true;

    /// <summary>Every prompt queued, in order, with the client id that queued it (its messages go to that client's socket only).</summary>
    public ConcurrentQueue<(string PromptId, string? ClientId)> Queued { get; } = new();

    /// <summary>How long each sampler step takes.</summary>
    public TimeSpan StepDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    public static async Task<ComfyUiServer> StartAsync()
    {
        var server = new ComfyUiServer(AgentFleet.Testing.PortAllocator.GetFreePort(), Directory.CreateTempSubdirectory("comfyui-output-").FullName);
        await server.StartCoreAsync();
        return server;
    }

    /// <summary>Stops and starts again on the same port, forgetting the queue and history as ComfyUI does.</summary>
    public async Task RestartAsync()
    {
        await StopCoreAsync();
        lock (_gate)
        {
            _pending.Clear();
            _history.Clear();
            _running = null;
        }
        await StartCoreAsync();
    }

    private async Task StartCoreAsync()
    {
        _stop = new CancellationTokenSource();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(Url);
        var app = builder.Build();
        app.UseWebSockets();
        app.MapPost("/prompt", QueuePrompt);
        app.MapGet("/history/{id}", (string id) => { lock (_gate) { return Results.Json(_history.TryGetValue(id, out var h) ? new JsonObject { [id] = h.DeepClone() } : new JsonObject()); } });
        app.MapGet("/queue", GetQueue);
        app.MapPost("/queue", DeleteFromQueue);
        app.MapPost("/interrupt", Interrupt);
        app.MapGet("/object_info", () => Results.Json(new JsonObject(NodeTypes.Select(t => KeyValuePair.Create(t, (JsonNode?)new JsonObject { ["name"] = t, ["output_node"] = t == "SaveImage" })))));
        app.MapGet("/models", () => Results.Json(new[] { "checkpoints", "loras", "vae" }));
        app.MapGet("/models/{folder}", (string folder) => folder switch
        {
            "checkpoints" => Results.Json(new[] { "sd_xl_base_1.0.safetensors", "flux1-dev.safetensors" }),
            "loras" => Results.Json(new[] { "detail.safetensors" }),
            "vae" => Results.Json(Array.Empty<string>()),
            _ => Results.NotFound(),
        });
        app.MapGet("/view", (string filename, string? subfolder, string? type) =>
        {
            var path = Path.Combine(OutputDirectory, Path.GetFileName(filename));
            return type is null or "output" && File.Exists(path) ? Results.File(path, "image/png") : Results.NotFound();
        });
        app.MapGet("/system_stats", () => Results.Json(new JsonObject
        {
            ["system"] = new JsonObject { ["os"] = "posix", ["comfyui_version"] = "0.3.test", ["python_version"] = "3.12" },
            ["devices"] = new JsonArray(new JsonObject
            {
                ["name"] = "cuda:0 Test GPU", ["type"] = "cuda", ["index"] = 0,
                ["vram_total"] = 25_769_803_776L, ["vram_free"] = 20_000_000_000L, ["torch_vram_total"] = 0, ["torch_vram_free"] = 0,
            }),
        }));
        app.Map("/ws", Socket);
        await app.StartAsync();
        _app = app;
        _ = Task.Run(() => WorkAsync(_stop.Token));
    }

    private async Task<IResult> QueuePrompt(HttpRequest request)
    {
        var body = await JsonNode.ParseAsync(request.Body) as JsonObject;
        if (body?["prompt"] is not JsonObject prompt)
        {
            return Results.Json(new { error = new { type = "no_prompt", message = "No prompt provided", details = "", extra_info = new { } }, node_errors = new { } }, statusCode: 400);
        }
        foreach (var (id, node) in prompt)
        {
            var type = node?["class_type"]?.GetValue<string>();
            if (type is null || !NodeTypes.Contains(type))
            {
                return Results.Json(new
                {
                    error = new { type = "invalid_prompt", message = $"Cannot execute because node {type} does not exist.", details = $"Node ID '#{id}'", extra_info = new { } },
                    node_errors = new { },
                }, statusCode: 400);
            }
        }
        if (!prompt.Any(n => n.Value?["class_type"]?.GetValue<string>() == "SaveImage"))
        {
            return Results.Json(new { error = new { type = "prompt_no_outputs", message = "Prompt has no outputs", details = "", extra_info = new { } }, node_errors = new { } }, statusCode: 400);
        }
        // Like ComfyUI, a supplied prompt_id is honoured (unless playing an older ComfyUI that ignores it).
        var promptId = HonourPromptId && body["prompt_id"]?.GetValue<string>() is { Length: > 0 } supplied ? supplied : Guid.NewGuid().ToString();
        var job = new Job(promptId, Interlocked.Increment(ref _number), prompt, body["client_id"]?.GetValue<string>());
        lock (_gate)
        {
            _pending.Add(job);
        }
        Queued.Enqueue((job.Id, job.ClientId));
        _work.Release();
        await BroadcastStatusAsync();
        return Results.Json(new { prompt_id = job.Id, number = job.Number, node_errors = new { } });
    }

    private IResult GetQueue()
    {
        lock (_gate)
        {
            JsonArray Entry(Job job) => new(job.Number, job.Id, job.Prompt.DeepClone(), new JsonObject { ["client_id"] = job.ClientId }, new JsonArray());
            return Results.Json(new JsonObject
            {
                ["queue_running"] = _running is { } running ? new JsonArray(Entry(running)) : new JsonArray(),
                ["queue_pending"] = new JsonArray([.. _pending.Select(Entry)]),
            });
        }
    }

    private async Task<IResult> DeleteFromQueue(HttpRequest request)
    {
        var body = await JsonNode.ParseAsync(request.Body) as JsonObject;
        lock (_gate)
        {
            if (body?["clear"]?.GetValue<bool>() == true)
            {
                _pending.Clear();
            }
            foreach (var id in body?["delete"]?.AsArray().Select(n => n!.GetValue<string>()) ?? [])
            {
                _pending.RemoveAll(j => j.Id == id);
            }
        }
        await BroadcastStatusAsync();
        return Results.Ok();
    }

    /// <summary>Interrupts the running prompt (newer ComfyUI: only if it is the one named in <c>prompt_id</c>).</summary>
    private async Task<IResult> Interrupt(HttpRequest request)
    {
        var named = request.ContentLength > 0 ? (await JsonNode.ParseAsync(request.Body))?["prompt_id"]?.GetValue<string>() : null;
        lock (_gate)
        {
            if (_running is { } running && (named is null || named == running.Id))
            {
                running.Interrupted = true;
            }
        }
        return Results.Ok();
    }

    private async Task Socket(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }
        var clientId = context.Request.Query["clientId"].ToString() is { Length: > 0 } id ? id : Guid.NewGuid().ToString("N");
        using var webSocket = await context.WebSockets.AcceptWebSocketAsync();
        var socket = new ClientSocket(webSocket);
        // As ComfyUI keeps its sockets by client id: a second connection under one id takes the messages from the first.
        _sockets[clientId] = socket;
        await SendAsync(socket, "status", new JsonObject { ["status"] = StatusData(), ["sid"] = clientId });
        var buffer = new byte[1024];
        try
        {
            while (!_stop.IsCancellationRequested && (await webSocket.ReceiveAsync(buffer, _stop.Token)).MessageType != WebSocketMessageType.Close)
            {
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
        }
        finally
        {
            _sockets.TryRemove(KeyValuePair.Create(clientId, socket));
        }
    }

    private async Task WorkAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _work.WaitAsync(stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            Job? job;
            lock (_gate)
            {
                job = _pending.FirstOrDefault();
                if (job is null)
                {
                    continue;
                }
                _pending.RemoveAt(0);
                _running = job;
            }
            try
            {
                await RunAsync(job, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            finally
            {
                lock (_gate)
                {
                    _running = null;
                }
            }
            await BroadcastStatusAsync();
        }
    }

    private async Task RunAsync(Job job, CancellationToken stop)
    {
        var messages = new JsonArray();
        var outputs = new JsonObject();
        async Task Emit(string type, JsonObject data)
        {
            data["prompt_id"] = job.Id;
            messages.Add(new JsonArray(type, data.DeepClone()));
            await SendToAsync(job.ClientId, type, data);
        }
        await Emit("execution_start", new JsonObject { ["timestamp"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });
        await Emit("execution_cached", new JsonObject { ["nodes"] = new JsonArray(), ["timestamp"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });
        var status = "success";
        foreach (var (id, node) in job.Prompt.OrderBy(n => int.TryParse(n.Key, out var k) ? k : int.MaxValue))
        {
            var type = node!["class_type"]!.GetValue<string>();
            await SendToAsync(job.ClientId, "executing", new JsonObject { ["node"] = id, ["display_node"] = id, ["prompt_id"] = job.Id });
            if (job.Interrupted)
            {
                status = "interrupted";
                await Emit("execution_interrupted", new JsonObject { ["node_id"] = id, ["node_type"] = type, ["executed"] = new JsonArray(), ["timestamp"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });
                break;
            }
            if (type == "FailNode")
            {
                status = "error";
                await Emit("execution_error", new JsonObject
                {
                    ["node_id"] = id, ["node_type"] = type, ["exception_message"] = "The node failed on purpose.", ["exception_type"] = "RuntimeError",
                    ["traceback"] = new JsonArray("Traceback (most recent call last): ..."), ["timestamp"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
                });
                break;
            }
            if (type == "KSampler")
            {
                var steps = node["inputs"]?["steps"]?.GetValue<int>() ?? 4;
                for (var step = 1; step <= steps && !job.Interrupted; step++)
                {
                    await Task.Delay(StepDelay, stop);
                    await SendToAsync(job.ClientId, "progress", new JsonObject { ["value"] = step, ["max"] = steps, ["prompt_id"] = job.Id, ["node"] = id });
                    await SendPreviewAsync(job.ClientId);
                }
                if (job.Interrupted)
                {
                    status = "interrupted";
                    await Emit("execution_interrupted", new JsonObject { ["node_id"] = id, ["node_type"] = type, ["executed"] = new JsonArray(), ["timestamp"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });
                    break;
                }
            }
            if (type == "SaveImage")
            {
                var prefix = node["inputs"]?["filename_prefix"]?.GetValue<string>() ?? "ComfyUI";
                var name = $"{Path.GetFileName(prefix)}_{Interlocked.Increment(ref _imageCounter):00000}_.png";
                await File.WriteAllBytesAsync(Path.Combine(OutputDirectory, name), Png, stop);
                var output = new JsonObject { ["images"] = new JsonArray(new JsonObject { ["filename"] = name, ["subfolder"] = "", ["type"] = "output" }) };
                outputs[id] = output.DeepClone();
                await SendToAsync(job.ClientId, "executed", new JsonObject { ["node"] = id, ["display_node"] = id, ["output"] = output, ["prompt_id"] = job.Id });
            }
        }
        if (status == "success")
        {
            await Emit("execution_success", new JsonObject { ["timestamp"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });
        }
        // As ComfyUI's prompt worker does: the history is written, then "executing: null" says the prompt is done, whatever its outcome.
        lock (_gate)
        {
            _history[job.Id] = new JsonObject
            {
                ["prompt"] = new JsonArray(job.Number, job.Id, job.Prompt.DeepClone(), new JsonObject { ["client_id"] = job.ClientId }, new JsonArray()),
                ["outputs"] = outputs,
                ["status"] = new JsonObject { ["status_str"] = status == "success" ? "success" : "error", ["completed"] = status == "success", ["messages"] = messages },
            };
        }
        await SendToAsync(job.ClientId, "executing", new JsonObject { ["node"] = null, ["display_node"] = null, ["prompt_id"] = job.Id });
    }

    private JsonObject StatusData()
    {
        lock (_gate)
        {
            return new JsonObject { ["exec_info"] = new JsonObject { ["queue_remaining"] = _pending.Count + (_running is null ? 0 : 1) } };
        }
    }

    private async Task BroadcastStatusAsync()
    {
        foreach (var socket in _sockets.Values)
        {
            await SendAsync(socket, "status", new JsonObject { ["status"] = StatusData() });
        }
    }

    private Task SendToAsync(string? clientId, string type, JsonObject data) =>
        clientId is not null && _sockets.TryGetValue(clientId, out var socket) ? SendAsync(socket, type, data) : Task.CompletedTask;

    /// <summary>A binary frame as ComfyUI sends previews: event type 1 (PREVIEW_IMAGE), image type 2 (PNG), big-endian, then the image.</summary>
    private async Task SendPreviewAsync(string? clientId)
    {
        if (clientId is null || !_sockets.TryGetValue(clientId, out var socket))
        {
            return;
        }
        var frame = new byte[8 + Png.Length];
        frame[3] = 1;
        frame[7] = 2;
        Png.CopyTo(frame, 8);
        await SendRawAsync(socket, frame, WebSocketMessageType.Binary);
    }

    private static Task SendAsync(ClientSocket socket, string type, JsonObject data) =>
        SendRawAsync(socket, Encoding.UTF8.GetBytes(new JsonObject { ["type"] = type, ["data"] = data.DeepClone() }.ToJsonString()), WebSocketMessageType.Text);

    private static async Task SendRawAsync(ClientSocket client, byte[] bytes, WebSocketMessageType type)
    {
        // One send at a time per socket: the worker and the status broadcasts share it.
        await client.Gate.WaitAsync();
        try
        {
            await client.Socket.SendAsync(bytes, type, true, CancellationToken.None);
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or InvalidOperationException)
        {
        }
        finally
        {
            client.Gate.Release();
        }
    }

    private async Task StopCoreAsync()
    {
        await _stop.CancelAsync();
        foreach (var client in _sockets.Values)
        {
            client.Socket.Abort();
        }
        _sockets.Clear();
        await _app.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopCoreAsync();
        Directory.Delete(OutputDirectory, recursive: true);
    }

    private sealed record ClientSocket(WebSocket Socket)
    {
        public SemaphoreSlim Gate { get; } = new(1);
    }

    private sealed class Job(string id, int number, JsonObject prompt, string? clientId)
    {
        public string Id { get; } = id;
        public int Number { get; } = number;
        public JsonObject Prompt { get; } = prompt;
        public string? ClientId { get; } = clientId;
        public volatile bool Interrupted;
    }
}
