using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace AgentFleet.Redis.Protocol;

/// <summary>One argument of a command: text, bytes or a number, written as a RESP bulk string.</summary>
public readonly struct RedisArg
{
    private readonly object? _value;
    private readonly long _number;

    private RedisArg(object? value, long number)
    {
        _value = value;
        _number = number;
    }

    public static implicit operator RedisArg(string value) => new(value, 0);
    public static implicit operator RedisArg(byte[] value) => new(value, 0);
    public static implicit operator RedisArg(long value) => new(null, value);
    public static implicit operator RedisArg(int value) => new(null, value);

    /// <summary>Anything <c>ExecuteAsync(params object[])</c> accepts: strings, bytes, integers, doubles.</summary>
    public static RedisArg From(object value) => value switch
    {
        string s => s,
        byte[] b => b,
        long l => l,
        int i => i,
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };

    internal void Write(IBufferWriter<byte> writer)
    {
        switch (_value)
        {
            case string text:
                var length = Encoding.UTF8.GetByteCount(text);
                RespWriter.WriteLength(writer, '$', length);
                var span = writer.GetSpan(length + 2);
                Encoding.UTF8.GetBytes(text, span);
                "\r\n"u8.CopyTo(span[length..]);
                writer.Advance(length + 2);
                break;
            case byte[] bytes:
                RespWriter.WriteLength(writer, '$', bytes.Length);
                var target = writer.GetSpan(bytes.Length + 2);
                bytes.CopyTo(target);
                "\r\n"u8.CopyTo(target[bytes.Length..]);
                writer.Advance(bytes.Length + 2);
                break;
            default:
                Span<byte> digits = stackalloc byte[20];
                Utf8Formatter.TryFormat(_number, digits, out var written);
                RespWriter.WriteLength(writer, '$', written);
                var into = writer.GetSpan(written + 2);
                digits[..written].CopyTo(into);
                "\r\n"u8.CopyTo(into[written..]);
                writer.Advance(written + 2);
                break;
        }
    }

    public override string ToString() => _value switch
    {
        string s => s,
        byte[] b => $"<{b.Length} bytes>",
        _ => _number.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>Writes commands as RESP arrays of bulk strings, straight into the connection's buffer.</summary>
public static class RespWriter
{
    public static void WriteCommand(IBufferWriter<byte> writer, ReadOnlySpan<RedisArg> arguments)
    {
        WriteLength(writer, '*', arguments.Length);
        foreach (var argument in arguments)
        {
            argument.Write(writer);
        }
    }

    internal static void WriteLength(IBufferWriter<byte> writer, char prefix, long length)
    {
        var span = writer.GetSpan(24);
        span[0] = (byte)prefix;
        Utf8Formatter.TryFormat(length, span[1..], out var written);
        span[1 + written] = (byte)'\r';
        span[2 + written] = (byte)'\n';
        writer.Advance(3 + written);
    }
}
