using Google.Protobuf;

namespace AgentFleet.Grpc;

public enum MethodType
{
    Unary,
    ClientStreaming,
    ServerStreaming,
    DuplexStreaming,
}

/// <summary>A method of a service contract; its path on the wire is <c>/package.Service/Method</c>.</summary>
public sealed class Method<TRequest, TResponse>(MethodType type, string serviceName, string name, MessageParser<TRequest> requestParser, MessageParser<TResponse> responseParser)
    : IMethod
    where TRequest : IMessage<TRequest>
    where TResponse : IMessage<TResponse>
{
    public MethodType Type { get; } = type;
    public string ServiceName { get; } = serviceName;
    public string Name { get; } = name;
    public string FullName { get; } = $"/{serviceName}/{name}";
    public MessageParser<TRequest> RequestParser { get; } = requestParser;
    public MessageParser<TResponse> ResponseParser { get; } = responseParser;
}

public interface IMethod
{
    MethodType Type { get; }
    string ServiceName { get; }
    string Name { get; }
    string FullName { get; }
}

/// <summary>Reads a stream of messages, one at a time.</summary>
public interface IAsyncStreamReader<T>
{
    T Current { get; }

    Task<bool> MoveNext(CancellationToken cancellationToken = default);
}

/// <summary>Writes a stream of messages, one at a time (never concurrently).</summary>
public interface IAsyncStreamWriter<in T>
{
    Task WriteAsync(T message, CancellationToken cancellationToken = default);
}

/// <summary>The client's side of a request stream: write, then say you are done.</summary>
public interface IClientStreamWriter<in T> : IAsyncStreamWriter<T>
{
    Task CompleteAsync();
}

public static class AsyncStreamReaderExtensions
{
    /// <summary>The messages as an async sequence: <c>await foreach (var m in reader.ReadAllAsync())</c>.</summary>
    public static async IAsyncEnumerable<T> ReadAllAsync<T>(this IAsyncStreamReader<T> reader, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await reader.MoveNext(cancellationToken))
        {
            yield return reader.Current;
        }
    }
}
