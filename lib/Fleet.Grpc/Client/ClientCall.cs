using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;

namespace AgentFleet.Grpc.Client;

/// <summary>
/// One call from the client: sends the request as an HTTP/2 stream, reads response messages, and turns
/// the status in the trailers (or in the headers of a trailers-only response) into success or an
/// <see cref="RpcException"/>. Disposing an unfinished call cancels it (RST_STREAM).
/// </summary>
internal sealed class ClientCall<TRequest, TResponse> : ICallState, IAsyncStreamReader<TResponse>, IStreamingCall
    where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse>
{
    private static readonly ProductInfoHeaderValue UserAgent = new("agent-fleet-grpc", "1.0");

    private readonly GrpcChannel _channel;
    private readonly Method<TRequest, TResponse> _method;
    private readonly CallOptions _options;
    private readonly CancellationTokenSource _deadline = new();
    private readonly CancellationTokenSource _call;
    private readonly TaskCompletionSource<Metadata> _headers = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Activity? _activity;
    private readonly long _started = Stopwatch.GetTimestamp();
    private Task<HttpResponseMessage>? _send;
    private HttpResponseMessage? _response;
    private PipeReader? _reader;
    private string? _responseEncoding;
    private Status? _status;
    private Metadata _trailers = [];
    private StreamingRequestContent? _content;
    private Task<bool>? _responseReady;
    private Task<Metadata>? _headersRead;
    private readonly Lock _finishGate = new();

    private ClientCall(GrpcChannel channel, Method<TRequest, TResponse> method, CallOptions options)
    {
        _channel = channel;
        _method = method;
        _options = options;
        _call = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken, _deadline.Token);
        _activity = GrpcTelemetry.StartClientSpan(method, channel.Address);
        // Awaiting the headers of a failed call throws; nobody has to await them.
        _headers.Task.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
    }

    public TResponse Current { get; private set; } = default!;

    /// <summary>Awaiting the headers waits for the response itself, without reading a message.</summary>
    public Task<Metadata> ResponseHeadersAsync => _headersRead ??= ReadHeadersAsync();

    public static async Task<TResponse> UnaryAsync(GrpcChannel channel, Method<TRequest, TResponse> method, TRequest request, CallOptions options)
    {
        using var call = new ClientCall<TRequest, TResponse>(channel, method, options);
        call.Start(call.SingleMessage(request));
        if (!await call.MoveNext())
        {
            throw call.Fail(new Status(StatusCode.Internal, "The response ended without a message."));
        }
        var response = call.Current;
        if (await call.MoveNext())
        {
            throw call.Fail(new Status(StatusCode.Internal, "The response carried more than one message."));
        }
        return response;
    }

    public static ServerStreamingCall<TResponse> ServerStreaming(GrpcChannel channel, Method<TRequest, TResponse> method, TRequest request, CallOptions options)
    {
        var call = new ClientCall<TRequest, TResponse>(channel, method, options);
        call.Start(call.SingleMessage(request));
        return new ServerStreamingCall<TResponse>(call, call);
    }

    public static ClientStreamingCall<TRequest, TResponse> ClientStreaming(GrpcChannel channel, Method<TRequest, TResponse> method, CallOptions options)
    {
        var call = new ClientCall<TRequest, TResponse>(channel, method, options);
        var content = new StreamingRequestContent();
        call._content = content;
        call.Start(content);
        return new ClientStreamingCall<TRequest, TResponse>(new ClientStreamWriter<TRequest>(content, call), call.ReadSingleResponseAsync(), call);
    }

    public static DuplexStreamingCall<TRequest, TResponse> DuplexStreaming(GrpcChannel channel, Method<TRequest, TResponse> method, CallOptions options)
    {
        var call = new ClientCall<TRequest, TResponse>(channel, method, options);
        var content = new StreamingRequestContent();
        call._content = content;
        call.Start(content);
        return new DuplexStreamingCall<TRequest, TResponse>(new ClientStreamWriter<TRequest>(content, call), call, call);
    }

    public int MaxSendMessageSize => _channel.Options.MaxSendMessageSize;

    public CancellationToken CallToken => _call.Token;

    public Status? FinalStatus => _status;

    public async Task<bool> MoveNext(CancellationToken cancellationToken = default)
    {
        if (_status is { } finished)
        {
            return finished.StatusCode == StatusCode.OK ? false : throw new RpcException(finished, _trailers);
        }
        using var registration = cancellationToken.Register(static state => ((CancellationTokenSource)state!).Cancel(), _call);
        try
        {
            if (!await EnsureResponseAsync())
            {
                return false;
            }
            var (read, message) = await MessageFraming.ReadAsync(_reader!, _method.ResponseParser, _channel.Options.MaxReceiveMessageSize, _responseEncoding, _call.Token);
            if (read)
            {
                Current = message!;
                return true;
            }
        }
        catch (RpcException ex) when (_status is null)
        {
            throw Fail(ex.Status);
        }
        catch (Exception ex) when (_status is null && ex is OperationCanceledException or IOException or HttpRequestException)
        {
            throw Fail(StatusFor(ex));
        }
        var status = ReadStatus(_response!.TrailingHeaders) ?? new Status(StatusCode.Internal, "The response ended without a grpc-status.");
        _trailers = Metadata.FromHeaders(_response.TrailingHeaders);
        Finish(status);
        return status.StatusCode == StatusCode.OK ? false : throw new RpcException(status, _trailers);
    }

    public Status GetStatus() => _status ?? throw new InvalidOperationException("The call has not finished.");

    public Metadata GetTrailers() => _status is not null ? _trailers : throw new InvalidOperationException("The call has not finished.");

    public void Dispose()
    {
        if (_status is null)
        {
            Finish(new Status(StatusCode.Cancelled, "The call was disposed before it finished."));
        }
        _call.Cancel();
        _reader?.Complete();
        _response?.Dispose();
        // Disposed before anyone read it: the response, when it comes, is released (and its HTTP/2 stream with it).
        if (_response is null && _send is { IsCompleted: false } pending)
        {
            pending.ContinueWith(static t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        }
        _call.Dispose();
        _deadline.Dispose();
    }

    private void Start(HttpContent content)
    {
        content.Headers.ContentType = new MediaTypeHeaderValue(GrpcProtocol.ContentType);
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_channel.Address, _method.FullName))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        request.Headers.UserAgent.Add(UserAgent);
        request.Headers.TryAddWithoutValidation(GrpcProtocol.AcceptEncodingHeader, GrpcProtocol.SupportedEncodings);
        foreach (var entry in _options.Headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(entry.Key, entry.WireValue);
        }
        // A deadline beyond a timer's reach (DateTime.MaxValue, say) is no deadline.
        if (_options.Deadline is { } deadline && deadline.ToUniversalTime() - DateTime.UtcNow < TimeSpan.FromDays(30))
        {
            var remaining = deadline.ToUniversalTime() - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                Finish(new Status(StatusCode.DeadlineExceeded, "The deadline had passed before the call started."));
                request.Dispose();
                return;
            }
            request.Headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcProtocol.FormatTimeout(remaining));
            _deadline.CancelAfter(remaining);
        }
        _send = _channel.Invoker.SendAsync(request, _call.Token);
        // A call that fails before its body starts must not leave a request-stream writer waiting.
        _send.ContinueWith(static (t, state) => ((StreamingRequestContent?)state)?.Abort(t.Exception!.InnerException!), _content,
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task<Metadata> ReadHeadersAsync()
    {
        try
        {
            await EnsureResponseAsync();
        }
        catch (RpcException)
        {
            // The call has its status; the headers task carries it.
        }
        catch (Exception ex) when (_status is null && ex is OperationCanceledException or IOException or HttpRequestException)
        {
            Fail(StatusFor(ex));
        }
        return await _headers.Task;
    }

    /// <summary>Waits for the response headers, once for everyone; false when the call ended there (trailers-only).</summary>
    private Task<bool> EnsureResponseAsync()
    {
        lock (_headers)
        {
            return _responseReady ??= ReadResponseStartAsync();
        }
    }

    private async Task<bool> ReadResponseStartAsync()
    {
        if (_send is null)
        {
            // Never sent: the deadline had already passed.
            throw new RpcException(_status!.Value, _trailers);
        }
        _response = await _send;
        if (_response.StatusCode != HttpStatusCode.OK)
        {
            throw Fail(new Status(GrpcProtocol.StatusFromHttp((int)_response.StatusCode), $"Bad gRPC response: HTTP status {(int)_response.StatusCode}."));
        }
        var headers = Metadata.FromHeaders(_response.Headers);
        if (ReadStatus(_response.Headers) is { } trailersOnly)
        {
            _trailers = headers;
            _headers.TrySetResult(headers);
            Finish(trailersOnly);
            return trailersOnly.StatusCode == StatusCode.OK ? false : throw new RpcException(trailersOnly, _trailers);
        }
        if (_response.Content.Headers.ContentType?.MediaType?.StartsWith(GrpcProtocol.ContentType, StringComparison.OrdinalIgnoreCase) != true)
        {
            throw Fail(new Status(StatusCode.Internal, $"Bad gRPC response: content type '{_response.Content.Headers.ContentType}'."));
        }
        _headers.TrySetResult(headers);
        _responseEncoding = _response.Headers.TryGetValues(GrpcProtocol.EncodingHeader, out var encodings) ? encodings.FirstOrDefault() : null;
        _reader = PipeReader.Create(await _response.Content.ReadAsStreamAsync(_call.Token));
        return true;
    }

    private async Task<TResponse> ReadSingleResponseAsync()
    {
        if (!await MoveNext())
        {
            throw Fail(new Status(StatusCode.Internal, "The response ended without a message."));
        }
        var response = Current;
        if (await MoveNext())
        {
            throw Fail(new Status(StatusCode.Internal, "The response carried more than one message."));
        }
        return response;
    }

    private ByteArrayContent SingleMessage(TRequest request)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(request.CalculateSize() + GrpcProtocol.FrameHeaderSize);
        MessageFraming.Write(buffer, request, _channel.Options.MaxSendMessageSize);
        return new ByteArrayContent(buffer.WrittenMemory.ToArray());
    }

    private Status StatusFor(Exception exception) => exception switch
    {
        _ when _deadline.IsCancellationRequested => new Status(StatusCode.DeadlineExceeded, "Deadline exceeded."),
        OperationCanceledException => new Status(StatusCode.Cancelled, "The call was cancelled."),
        HttpRequestException http => new Status(StatusCode.Unavailable, $"Error starting the call: {http.Message}"),
        _ => new Status(StatusCode.Unavailable, $"Error reading the response: {exception.Message}"),
    };

    /// <summary>Ends the call with <paramref name="status"/>, cancels what is still in flight, and returns the exception to throw.</summary>
    internal RpcException Fail(Status status)
    {
        Finish(status);
        _call.Cancel();
        return new RpcException(status, _trailers);
    }

    private void Finish(Status status)
    {
        // Dispose, a failing read and a finishing read can race: the first status stands, the span ends once.
        lock (_finishGate)
        {
            if (_status is not null)
            {
                return;
            }
            _status = status;
        }
        // A request stream still open has nothing more to say once the call has a status.
        _content?.Complete();
        if (status.StatusCode != StatusCode.OK)
        {
            _headers.TrySetException(new RpcException(status, _trailers));
        }
        else
        {
            _headers.TrySetResult([]);
        }
        GrpcTelemetry.EndClientCall(_activity, _method, status.StatusCode, Stopwatch.GetElapsedTime(_started));
    }

    private static Status? ReadStatus(HttpHeaders headers)
    {
        if (!headers.TryGetValues(GrpcProtocol.StatusTrailer, out var values) || !int.TryParse(values.FirstOrDefault(), out var code))
        {
            return null;
        }
        var message = headers.TryGetValues(GrpcProtocol.MessageTrailer, out var messages) ? messages.FirstOrDefault() : null;
        return new Status((StatusCode)code, GrpcProtocol.DecodeMessage(message));
    }
}
