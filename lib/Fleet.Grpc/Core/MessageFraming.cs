using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Pipelines;
using Google.Protobuf;

namespace AgentFleet.Grpc;

/// <summary>
/// Length-prefixed messages: a compressed flag byte, a 4-byte big-endian length, then the message.
/// Sizes are checked before any buffer is allocated.
/// </summary>
public static class MessageFraming
{
    /// <summary>Writes one uncompressed frame into <paramref name="writer"/>; serializes straight into its buffer.</summary>
    public static void Write<T>(IBufferWriter<byte> writer, T message, int maxMessageSize) where T : IMessage<T>
    {
        var size = message.CalculateSize();
        if (size > maxMessageSize)
        {
            throw new RpcException(StatusCode.ResourceExhausted, $"Sending message exceeds the maximum configured message size ({size} > {maxMessageSize} bytes).");
        }
        var span = writer.GetSpan(GrpcProtocol.FrameHeaderSize + size);
        span[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)size);
        message.WriteTo(span.Slice(GrpcProtocol.FrameHeaderSize, size));
        writer.Advance(GrpcProtocol.FrameHeaderSize + size);
    }

    /// <summary>
    /// Reads the next message, or returns default at a clean end of stream. A stream that ends inside a
    /// frame is INTERNAL; a frame over the limit is RESOURCE_EXHAUSTED; a compressed frame needs gzip.
    /// </summary>
    public static async ValueTask<(bool Read, T? Message)> ReadAsync<T>(PipeReader reader, MessageParser<T> parser, int maxMessageSize, string? encoding, CancellationToken cancellationToken)
        where T : IMessage<T>
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (TryReadFrame(ref buffer, maxMessageSize, out var compressed, out var payload))
            {
                try
                {
                    var message = compressed ? Decompress(payload, parser, encoding, maxMessageSize) : parser.ParseFrom(payload);
                    return (true, message);
                }
                catch (InvalidProtocolBufferException ex)
                {
                    throw new RpcException(StatusCode.Internal, $"Failed to deserialize message: {ex.Message}");
                }
                finally
                {
                    reader.AdvanceTo(buffer.Start);
                }
            }
            if (result.IsCompleted || result.IsCanceled)
            {
                var leftover = buffer.Length;
                reader.AdvanceTo(buffer.End);
                if (leftover > 0)
                {
                    throw new RpcException(StatusCode.Internal, "The stream ended in the middle of a message.");
                }
                return (false, default);
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxMessageSize, out bool compressed, out ReadOnlySequence<byte> payload)
    {
        compressed = false;
        payload = default;
        if (buffer.Length < GrpcProtocol.FrameHeaderSize)
        {
            return false;
        }
        Span<byte> header = stackalloc byte[GrpcProtocol.FrameHeaderSize];
        buffer.Slice(0, GrpcProtocol.FrameHeaderSize).CopyTo(header);
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (length > maxMessageSize)
        {
            throw new RpcException(StatusCode.ResourceExhausted, $"Received message exceeds the maximum configured message size ({length} > {maxMessageSize} bytes).");
        }
        if (buffer.Length < GrpcProtocol.FrameHeaderSize + length)
        {
            return false;
        }
        compressed = header[0] == 1;
        payload = buffer.Slice(GrpcProtocol.FrameHeaderSize, length);
        buffer = buffer.Slice(payload.End);
        return true;
    }

    private static T Decompress<T>(ReadOnlySequence<byte> payload, MessageParser<T> parser, string? encoding, int maxMessageSize) where T : IMessage<T>
    {
        if (encoding != "gzip")
        {
            throw new RpcException(StatusCode.Unimplemented, $"Compressed message with grpc-encoding '{encoding ?? "identity"}' is not supported; supported: {GrpcProtocol.SupportedEncodings}.");
        }
        using var gzip = new GZipStream(new MemoryStream(payload.ToArray()), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = gzip.Read(chunk)) > 0)
        {
            if (plain.Length + read > maxMessageSize)
            {
                throw new RpcException(StatusCode.ResourceExhausted, $"Decompressed message exceeds the maximum configured message size ({maxMessageSize} bytes).");
            }
            plain.Write(chunk, 0, read);
        }
        return parser.ParseFrom(plain.GetBuffer().AsSpan(0, (int)plain.Length));
    }
}
