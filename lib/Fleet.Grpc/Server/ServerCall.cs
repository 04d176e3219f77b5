using System.Diagnostics;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace AgentFleet.Grpc.Server;

/// <summary>
/// One call on the server: checks the request, runs the handler under the call's cancellation (client
/// cancel, dropped connection, deadline), and ends with a status in trailers, or trailers-only when
/// nothing else was sent.
/// </summary>
internal sealed partial class ServerCall(HttpContext http, IMethod method, GrpcServerOptions options, ILogger logger)
{
    private CancellationTokenSource? _deadline;
    private bool _responseStarted;

    public ServerCallContext Context { get; private set; } = null!;

    public CancellationToken CancellationToken => Context.CancellationToken;

    public async Task RunAsync(Func<ServerCall, object, Task> invoke, object service)
    {
        var started = Stopwatch.GetTimestamp();
        var status = await ExecuteAsync(invoke, service);
        WriteStatus(status);
        GrpcTelemetry.RecordServerCall(method, status.StatusCode, Stopwatch.GetElapsedTime(started));
        _deadline?.Dispose();
    }

    private async Task<Status> ExecuteAsync(Func<ServerCall, object, Task> invoke, object service)
    {
        var request = http.Request;
        if (request.Protocol != "HTTP/2")
        {
            http.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            return new Status(StatusCode.Internal, $"gRPC requires HTTP/2; the request used {request.Protocol}.");
        }
        if (request.ContentType is not { } contentType || !contentType.StartsWith(GrpcProtocol.ContentType, StringComparison.OrdinalIgnoreCase))
        {
            http.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return new Status(StatusCode.Internal, $"Content-Type '{request.ContentType}' is not supported.");
        }
        // A stream of messages can outgrow Kestrel's body limit; message sizes are limited instead.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = null;
        }
        var deadline = DateTime.MaxValue;
        var token = http.RequestAborted;
        if (GrpcProtocol.ParseTimeout(request.Headers[GrpcProtocol.TimeoutHeader]) is { } timeout)
        {
            deadline = DateTime.UtcNow + timeout;
            _deadline = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
            _deadline.CancelAfter(timeout);
            token = _deadline.Token;
        }
        Context = new ServerCallContext(http, method, deadline, token, WriteHeadersAsync);
        http.Response.ContentType = GrpcProtocol.ContentType;
        http.Response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.SupportedEncodings;
        GrpcTelemetry.EnrichServerSpan(Activity.Current, method);
        try
        {
            await invoke(this, service);
            return DeadlinePassed ? DeadlineExceeded : Status.Ok;
        }
        catch (RpcException ex)
        {
            foreach (var entry in ex.Trailers)
            {
                AddTrailer(Context.ResponseTrailers, entry);
            }
            return ex.Status;
        }
        catch (Exception) when (DeadlinePassed)
        {
            return DeadlineExceeded;
        }
        catch (Exception) when (http.RequestAborted.IsCancellationRequested)
        {
            return new Status(StatusCode.Cancelled, "The call was cancelled by the client.");
        }
        catch (Exception ex)
        {
            // The exception stays in the log; the client learns only that the handler failed.
            LogHandlerFailed(method.FullName, ex);
            return new Status(StatusCode.Unknown, "Exception was thrown by handler.");
        }
    }

    private bool DeadlinePassed => _deadline is { IsCancellationRequested: true } && !http.RequestAborted.IsCancellationRequested;

    private static Status DeadlineExceeded => new(StatusCode.DeadlineExceeded, "Deadline exceeded.");

    public async Task UnaryAsync<TService, TRequest, TResponse>(Method<TRequest, TResponse> m, TService service, UnaryHandler<TService, TRequest, TResponse> handler)
        where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse>
    {
        var request = await ReadSingleAsync(m.RequestParser);
        var response = await handler(service, request, Context);
        OnMessageWritten();
        // Not flushed: the message, the trailers and the end of stream leave together.
        MessageFraming.Write(http.Response.BodyWriter, response, options.MaxSendMessageSize);
    }

    public async Task ServerStreamingAsync<TService, TRequest, TResponse>(Method<TRequest, TResponse> m, TService service, ServerStreamingHandler<TService, TRequest, TResponse> handler)
        where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse>
    {
        var request = await ReadSingleAsync(m.RequestParser);
        await handler(service, request, new HttpResponseStreamWriter<TResponse>(http, this, options.MaxSendMessageSize), Context);
    }

    public async Task ClientStreamingAsync<TService, TRequest, TResponse>(Method<TRequest, TResponse> m, TService service, ClientStreamingHandler<TService, TRequest, TResponse> handler)
        where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse>
    {
        var response = await handler(service, Reader(m.RequestParser), Context);
        OnMessageWritten();
        MessageFraming.Write(http.Response.BodyWriter, response, options.MaxSendMessageSize);
    }

    public Task DuplexStreamingAsync<TService, TRequest, TResponse>(Method<TRequest, TResponse> m, TService service, DuplexStreamingHandler<TService, TRequest, TResponse> handler)
        where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse> =>
        handler(service, Reader(m.RequestParser), new HttpResponseStreamWriter<TResponse>(http, this, options.MaxSendMessageSize), Context);

    internal void OnMessageWritten() => _responseStarted = true;

    private HttpRequestStreamReader<T> Reader<T>(MessageParser<T> parser) where T : IMessage<T> =>
        new(http, parser, options.MaxReceiveMessageSize, Context.CancellationToken);

    /// <summary>Unary and server-streaming requests carry exactly one message.</summary>
    private async Task<T> ReadSingleAsync<T>(MessageParser<T> parser) where T : IMessage<T>
    {
        var reader = Reader(parser);
        if (!await reader.MoveNext())
        {
            throw new RpcException(StatusCode.Internal, "The request ended without a message.");
        }
        var message = reader.Current;
        if (await reader.MoveNext())
        {
            throw new RpcException(StatusCode.Internal, "The request carried more than one message.");
        }
        return message;
    }

    private async Task WriteHeadersAsync(Metadata headers)
    {
        if (_responseStarted)
        {
            throw new InvalidOperationException("Response headers have already been sent.");
        }
        foreach (var entry in headers)
        {
            http.Response.Headers.Append(entry.Key, entry.WireValue);
        }
        _responseStarted = true;
        await http.Response.StartAsync(Context.CancellationToken);
    }

    private void WriteStatus(Status status)
    {
        var response = http.Response;
        if (http.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        // Trailers-only when nothing was sent: the status travels in the one HEADERS frame that ends the stream.
        Action<string, string> write = !_responseStarted && !response.HasStarted
            ? (name, value) => response.Headers.Append(name, value)
            : (name, value) => response.AppendTrailer(name, value);
        write(GrpcProtocol.StatusTrailer, ((int)status.StatusCode).ToString());
        if (status.Detail.Length > 0)
        {
            write(GrpcProtocol.MessageTrailer, GrpcProtocol.EncodeMessage(status.Detail));
        }
        foreach (var entry in Context?.ResponseTrailers ?? [])
        {
            write(entry.Key, entry.WireValue);
        }
    }

    private static void AddTrailer(Metadata trailers, Metadata.Entry entry)
    {
        if (entry.ValueBytes is { } bytes)
        {
            trailers.Add(entry.Key, bytes);
        }
        else
        {
            trailers.Add(entry.Key, entry.Value!);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "gRPC handler for {Method} failed")]
    private partial void LogHandlerFailed(string method, Exception exception);
}
