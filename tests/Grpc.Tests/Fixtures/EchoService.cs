using AgentFleet.Grpc.Tests.Echo;
using Grpc.Core;

namespace AgentFleet.Grpc.Tests.Fixtures;

/// <summary>Echoes, repeats, waits, fails or throws as the request asks; tells the test what it observed.</summary>
public sealed class EchoService(ServerObservations observations) : EchoContract.EchoBase
{
    public override async Task<EchoReply> Unary(EchoRequest request, ServerCallContext context)
    {
        await BehaveAsync(request, context);
        if (context.RequestHeaders.GetValue("x-echo") is { } echo)
        {
            await context.WriteResponseHeadersAsync(new Metadata { { "x-echoed", echo } });
            context.ResponseTrailers.Add("x-trailer", "bye " + echo);
        }
        // "deadline" asks when the call's deadline is, as the server sees it.
        return request.Text == "deadline" ? new EchoReply { Text = context.Deadline.ToString("O") } : Reply(request, 0);
    }

    public override async Task ServerStream(EchoRequest request, IServerStreamWriter<EchoReply> responses, ServerCallContext context)
    {
        for (var i = 0; i < Math.Max(1, request.Repeat); i++)
        {
            await BehaveAsync(request, context);
            await responses.WriteAsync(Reply(request, i), context.CancellationToken);
        }
    }

    public override async Task<EchoReply> ClientStream(IAsyncStreamReader<EchoRequest> requests, ServerCallContext context)
    {
        var texts = new List<string>();
        await foreach (var request in requests.ReadAllAsync(context.CancellationToken))
        {
            texts.Add(request.Text);
        }
        return new EchoReply { Text = string.Join(",", texts), Index = texts.Count };
    }

    public override async Task Duplex(IAsyncStreamReader<EchoRequest> requests, IServerStreamWriter<EchoReply> responses, ServerCallContext context)
    {
        var index = 0;
        await foreach (var request in requests.ReadAllAsync(context.CancellationToken))
        {
            await BehaveAsync(request, context);
            await responses.WriteAsync(Reply(request, index++), context.CancellationToken);
        }
    }

    private async Task BehaveAsync(EchoRequest request, ServerCallContext context)
    {
        if (request.Throw)
        {
            throw new InvalidOperationException("Host=db;Password=hunter2 broke");
        }
        if (request.FailWithCode != 0)
        {
            throw new RpcException(new Status((StatusCode)request.FailWithCode, request.FailMessage), new Metadata { { "x-failed", "yes" } });
        }
        if (request.DelayMs > 0)
        {
            try
            {
                await Task.Delay(request.DelayMs, context.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                observations.Cancelled(request.Text);
                throw;
            }
        }
    }

    // "trace" asks which trace the server's span belongs to.
    private static EchoReply Reply(EchoRequest request, int index) => new()
    {
        Text = request.Text == "trace" ? System.Diagnostics.Activity.Current?.TraceId.ToString() ?? "" : request.Text,
        Payload = request.Payload,
        Index = index,
    };
}

/// <summary>What the server saw, for assertions about the far side of a call.</summary>
public sealed class ServerObservations
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource> _cancelled = new();

    public void Cancelled(string text) => Signal(text).TrySetResult();

    /// <summary>Completes when the handler for the request with this text saw its cancellation.</summary>
    public Task WhenCancelled(string text) => Signal(text).Task;

    private TaskCompletionSource Signal(string text) => _cancelled.GetOrAdd(text, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
