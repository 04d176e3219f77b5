using System.Diagnostics;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Net.Security;
using System.Net.Sockets;
using AgentFleet.Redis.Protocol;

namespace AgentFleet.Redis.Connection;

/// <summary>
/// One socket shared by every caller: commands are written in turn and their replies, which Redis sends
/// in the same order, complete them in order. When the socket fails, everything in flight fails with a
/// <see cref="RedisConnectionException"/> and the connection comes back by itself, with exponential
/// backoff and jitter; nothing is ever sent twice.
/// </summary>
public sealed class RedisConnection : IAsyncDisposable
{
    private readonly RedisOptions _options;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _disposed = new();
    private readonly Lock _stateGate = new();
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Session? _session;

    private readonly Timer _sweeper;
    private readonly long _timeoutTicks;

    private RedisConnection(RedisOptions options, Action<RespValue>? onPush)
    {
        _options = options;
        OnPush = onPush;
        _timeoutTicks = (long)(options.CommandTimeout.TotalSeconds * Stopwatch.Frequency);
        // One timer for every command's timeout, instead of a timer per command.
        var period = TimeSpan.FromMilliseconds(Math.Clamp(options.CommandTimeout.TotalMilliseconds / 4, 10, 250));
        _sweeper = new Timer(static state => ((RedisConnection)state!).FailOverdue(), this, period, period);
    }

    /// <summary>Frames that answer no command: pub/sub messages, RESP3 pushes.</summary>
    private Action<RespValue>? OnPush { get; }

    /// <summary>After a reconnect, once the handshake is done (a subscriber restores its subscriptions here).</summary>
    public event Func<Task>? Reconnected;

    /// <summary>The moment an open connection is found broken, before any attempt to reconnect.</summary>
    public event Action? Lost;

    /// <summary>In subscriber mode every frame after the handshake goes to the push handler.</summary>
    public bool SubscriberMode { get; set; }

    public bool IsConnected => _session is not null;

    public RedisOptions Options => _options;

    /// <summary>Connects and handshakes; fails if the first connection cannot be made.</summary>
    public static async Task<RedisConnection> ConnectAsync(RedisOptions options, Action<RespValue>? onPush = null, CancellationToken cancellationToken = default)
    {
        var connection = new RedisConnection(options, onPush);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    /// <summary>
    /// A connection that starts disconnected and connects in the background, retrying with backoff (for a
    /// service that must start while Redis is still coming up). Commands until then fail or wait as configured.
    /// </summary>
    public static RedisConnection Connecting(RedisOptions options, Action<RespValue>? onPush = null)
    {
        var connection = new RedisConnection(options, onPush);
        _ = connection.ReconnectAsync(lost: null);
        return connection;
    }

    /// <summary>Sends a command and waits for its reply; an error reply throws <see cref="RedisServerException"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<RespValue> ExecuteAsync(RedisArg[] command, CancellationToken cancellationToken = default)
    {
        var reply = await SendAsync(command, expectReply: true, cancellationToken);
        return reply.IsError ? throw new RedisServerException(reply.AsString()!) : reply;
    }

    /// <summary>Writes a command whose answers arrive as pushes (SUBSCRIBE and friends in subscriber mode).</summary>
    public async Task SendWithoutReplyAsync(RedisArg[] command, CancellationToken cancellationToken = default) =>
        await SendAsync(command, expectReply: false, cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<RespValue> SendAsync(RedisArg[] command, bool expectReply, CancellationToken cancellationToken)
    {
        var session = _session ?? await WaitForConnectionAsync(cancellationToken);
        PendingReply? reply = null;
        await _writeLock.WaitAsync(cancellationToken);
        // Nothing is sent for a caller who has already given up.
        if (cancellationToken.IsCancellationRequested)
        {
            _writeLock.Release();
            cancellationToken.ThrowIfCancellationRequested();
        }
        try
        {
            if (session != _session || session.Broken)
            {
                throw new RedisConnectionException($"Not connected to Redis at {_options}; the command was not sent.");
            }
            // Enqueued before it is written, under the write lock: the queue is in wire order.
            if (expectReply)
            {
                reply = PendingReply.Rent(Stopwatch.GetTimestamp() + _timeoutTicks, cancellationToken);
                session.Pending.Enqueue(reply);
            }
            RespWriter.WriteCommand(session.Writer, command);
            var flushed = await session.Writer.FlushAsync(CancellationToken.None);
            if (flushed.IsCompleted)
            {
                throw new RedisConnectionException($"The connection to Redis at {_options} closed; the command may not have been sent.");
            }
        }
        catch (Exception ex) when (ex is not RedisConnectionException || reply is not null)
        {
            // A write that failed part-way leaves the stream out of step with the replies owed: end this socket.
            session.Fail(ex);
            reply?.Abandon();
            throw ex as RedisConnectionException
                ?? new RedisConnectionException($"Writing to Redis at {_options} failed; the command may or may not have run.", ex);
        }
        finally
        {
            _writeLock.Release();
        }
        if (reply is null)
        {
            return RespValue.Null;
        }
        // On timeout the slot stays queued, so the reply that arrives later is matched to it and dropped.
        return await reply.Task;
    }

    /// <summary>Fails every command whose reply is overdue; runs on the sweep timer.</summary>
    private void FailOverdue()
    {
        if (_session is not { } session || session.Pending.IsEmpty)
        {
            return;
        }
        session.Pending.FailOverdue(Stopwatch.GetTimestamp(),
            () => new TimeoutException($"Redis at {_options} did not answer within {_options.CommandTimeout.TotalSeconds:0.###} s."));
    }

    private async Task<Session> WaitForConnectionAsync(CancellationToken cancellationToken)
    {
        if (_options.ReconnectWait > TimeSpan.Zero)
        {
            try
            {
                await _connected.Task.WaitAsync(_options.ReconnectWait, cancellationToken);
            }
            catch (TimeoutException)
            {
            }
        }
        return _session ?? throw new RedisConnectionException($"Not connected to Redis at {_options}; the command was not sent.");
    }

    private async Task OpenAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        timeout.CancelAfter(_options.ConnectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(_options.Host, _options.Port, timeout.Token);
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (_options.Ssl)
            {
                var ssl = new SslStream(stream);
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = _options.Host }, timeout.Token);
                stream = ssl;
            }
            var session = new Session(this, stream);
            session.ReadLoop = Task.Run(() => ReadLoopAsync(session));
            await HandshakeAsync(session, timeout.Token);
            lock (_stateGate)
            {
                // The socket may have died right after the handshake: then it is not published, and the
                // caller (or the reconnect loop) tries again.
                if (!session.TryEstablish())
                {
                    throw new IOException("The connection closed right after the handshake.");
                }
                _session = session;
                _connected.TrySetResult();
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException or System.Security.Authentication.AuthenticationException)
        {
            socket.Dispose();
            throw new RedisConnectionException($"Could not connect to Redis at {_options}: {ex.Message}", ex);
        }
    }

    private async Task HandshakeAsync(Session session, CancellationToken cancellationToken)
    {
        var steps = new List<RedisArg[]>();
        if (_options.Protocol == 3)
        {
            steps.Add(_options.Password is null ? ["HELLO", 3] : ["HELLO", 3, "AUTH", _options.User ?? "default", _options.Password]);
        }
        else if (_options.Password is not null)
        {
            steps.Add(_options.User is null ? ["AUTH", _options.Password] : ["AUTH", _options.User, _options.Password]);
        }
        if (_options.Database != 0)
        {
            steps.Add(["SELECT", _options.Database]);
        }
        foreach (var step in steps)
        {
            var reply = PendingReply.Rent(Stopwatch.GetTimestamp() + _timeoutTicks, cancellationToken);
            session.Pending.Enqueue(reply);
            RespWriter.WriteCommand(session.Writer, step);
            await session.Writer.FlushAsync(cancellationToken);
            var answer = await reply.Task;
            if (answer.IsError)
            {
                session.Fail(null);
                // The password is not in the message: only the server's words and the command name.
                throw new RedisConnectionException($"Redis at {_options} refused {step[0]}: {answer.AsString()}");
            }
        }
    }

    private async Task ReadLoopAsync(Session session)
    {
        Exception? failure = null;
        try
        {
            while (true)
            {
                var result = await session.Reader.ReadAsync(_disposed.Token);
                var buffer = result.Buffer;
                while (RespParser.TryParse(ref buffer, out var value))
                {
                    Dispatch(session, value);
                }
                session.Reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        // A socket that never finished its handshake was reported to whoever opened it; only a working one is restored.
        if (session.FailAndWasEstablished(failure) && !_disposed.IsCancellationRequested)
        {
            _ = ReconnectAsync(session);
        }
    }

    private void Dispatch(Session session, RespValue value)
    {
        var isPush = value.Type == RespType.Push || (SubscriberMode && session.Pending.IsEmpty);
        if (isPush)
        {
            try
            {
                OnPush?.Invoke(value);
            }
            catch (Exception)
            {
                // A frame the push handler cannot read is dropped; it must not bring down the connection.
            }
        }
        else if (session.Pending.TryDequeue(out var pending))
        {
            pending.Reply.TryComplete(value, pending.Version);
            pending.Reply.ReleaseFromQueue();
        }
    }

    private async Task ReconnectAsync(Session? lost)
    {
        lock (_stateGate)
        {
            if (_session != lost && _session is not null)
            {
                return;
            }
            _session = null;
            if (_connected.Task.IsCompleted)
            {
                _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
        if (lost is not null)
        {
            Lost?.Invoke();
        }
        for (var attempt = 0; !_disposed.IsCancellationRequested; attempt++)
        {
            var ceiling = Math.Min(_options.ReconnectMaxDelay.TotalMilliseconds, _options.ReconnectBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 20)));
            // Jitter: clients that lost one server do not all come back at the same instant. A first
            // connection (nothing lost) is tried at once.
            var delay = lost is null && attempt == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
            try
            {
                await Task.Delay(delay, _disposed.Token);
                await OpenAsync(_disposed.Token);
            }
            catch (Exception) when (!_disposed.IsCancellationRequested)
            {
                continue;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            // Connected: a handler that fails (a resubscription timing out) must not open yet another socket.
            foreach (var handler in Reconnected?.GetInvocationList().Cast<Func<Task>>() ?? [])
            {
                try
                {
                    await handler();
                }
                catch (Exception)
                {
                    // The next reconnect runs the handlers again.
                }
            }
            return;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _sweeper.DisposeAsync();
        await _disposed.CancelAsync();
        var session = _session;
        _session = null;
        session?.Fail(new ObjectDisposedException(nameof(RedisConnection)));
        if (session?.ReadLoop is { } loop)
        {
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        _writeLock.Dispose();
    }

    /// <summary>One socket's life: its pipes and the replies it owes.</summary>
    private sealed class Session(RedisConnection owner, Stream stream)
    {
        private int _broken;

        public PipeReader Reader { get; } = PipeReader.Create(stream);
        public PipeWriter Writer { get; } = PipeWriter.Create(stream);
        public ReplyQueue Pending { get; } = new();
        public Task? ReadLoop { get; set; }

        private bool _established;

        /// <summary>Marks the socket working unless it already failed; one lock orders this against <see cref="FailAndWasEstablished"/>.</summary>
        public bool TryEstablish()
        {
            lock (this)
            {
                if (Broken)
                {
                    return false;
                }
                _established = true;
                return true;
            }
        }

        /// <summary>Fails the socket; true when it had been working (and so deserves a reconnect).</summary>
        public bool FailAndWasEstablished(Exception? cause)
        {
            lock (this)
            {
                Fail(cause);
                return _established;
            }
        }
        public bool Broken => Volatile.Read(ref _broken) == 1;

        /// <summary>Closes the socket and fails every command still owed a reply.</summary>
        public void Fail(Exception? cause)
        {
            if (Interlocked.Exchange(ref _broken, 1) == 1)
            {
                return;
            }
            stream.Dispose();
            var error = new RedisConnectionException($"The connection to Redis at {owner._options} was lost; the command may or may not have run.", cause);
            while (Pending.TryDequeue(out var pending))
            {
                pending.Reply.TryFail(error, pending.Version);
                pending.Reply.ReleaseFromQueue();
            }
        }
    }
}
