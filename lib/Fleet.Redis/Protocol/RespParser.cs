using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace AgentFleet.Redis.Protocol;

/// <summary>
/// Parses RESP2 and RESP3 replies from a buffer that may hold part of a reply: <see cref="TryParse"/>
/// consumes nothing until a whole reply is there.
/// </summary>
public static class RespParser
{
    private const int MaxDepth = 64;

    public static bool TryParse(ref ReadOnlySequence<byte> buffer, out RespValue value)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (!TryParse(ref reader, out value, depth: 0))
        {
            return false;
        }
        buffer = buffer.Slice(reader.Position);
        return true;
    }

    private static bool TryParse(ref SequenceReader<byte> reader, out RespValue value, int depth)
    {
        value = default;
        if (depth > MaxDepth)
        {
            throw new RedisProtocolException("Reply nested too deeply.");
        }
        if (!reader.TryRead(out var prefix) || !reader.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8))
        {
            return false;
        }
        switch ((char)prefix)
        {
            case '+':
                value = RespValue.Simple(Text(line));
                return true;
            case '-':
                value = RespValue.Error(Text(line));
                return true;
            case ':':
                value = RespValue.Integer(Integer(line));
                return true;
            case '_':
                value = RespValue.Null;
                return true;
            case ',':
                value = RespValue.Number(Number(line));
                return true;
            case '#':
                value = RespValue.Boolean(Text(line) == "t");
                return true;
            case '(':
                value = RespValue.Big(Text(line));
                return true;
            case '$':
                return TryBulk(ref reader, Integer(line), RespType.BulkString, out value);
            case '=':
                return TryBulk(ref reader, Integer(line), RespType.VerbatimString, out value);
            case '!':
                if (!TryBulk(ref reader, Integer(line), RespType.BulkString, out var blob))
                {
                    return false;
                }
                value = RespValue.Error(blob.AsString()!);
                return true;
            case '*':
                return TryAggregate(ref reader, Integer(line), RespType.Array, out value, depth);
            case '~':
                return TryAggregate(ref reader, Integer(line), RespType.Set, out value, depth);
            case '>':
                return TryAggregate(ref reader, Integer(line), RespType.Push, out value, depth);
            case '%':
                return TryAggregate(ref reader, Integer(line) * 2, RespType.Map, out value, depth);
            case '|':
                // Attributes describe the reply that follows; we have no use for them.
                return TryAggregate(ref reader, Integer(line) * 2, RespType.Map, out _, depth) && TryParse(ref reader, out value, depth);
            default:
                throw new RedisProtocolException($"Unknown reply type '{(char)prefix}'.");
        }
    }

    private static bool TryBulk(ref SequenceReader<byte> reader, long length, RespType type, out RespValue value)
    {
        value = RespValue.Null;
        if (length < 0)
        {
            return true;
        }
        if (reader.Remaining < length + 2)
        {
            return false;
        }
        var bytes = new byte[length];
        reader.TryCopyTo(bytes);
        reader.Advance(length);
        if (!reader.IsNext("\r\n"u8, advancePast: true))
        {
            throw new RedisProtocolException("A bulk string did not end with CRLF.");
        }
        value = RespValue.Bulk(bytes, type);
        return true;
    }

    private static bool TryAggregate(ref SequenceReader<byte> reader, long count, RespType type, out RespValue value, int depth)
    {
        value = RespValue.Null;
        if (count < 0)
        {
            return true;
        }
        var items = count == 0 ? [] : new RespValue[count];
        for (var i = 0; i < count; i++)
        {
            if (!TryParse(ref reader, out items[i], depth + 1))
            {
                return false;
            }
        }
        value = RespValue.Aggregate(type, items);
        return true;
    }

    private static string Text(ReadOnlySequence<byte> line) => line.Length switch
    {
        2 when line.FirstSpan.SequenceEqual("OK"u8) => "OK",
        4 when line.FirstSpan.SequenceEqual("PONG"u8) => "PONG",
        _ => Encoding.UTF8.GetString(line),
    };

    private static long Integer(ReadOnlySequence<byte> line)
    {
        Span<byte> digits = stackalloc byte[24];
        if (line.Length > digits.Length || !Utf8Parser.TryParse(Copy(line, digits), out long value, out var used) || used != line.Length)
        {
            throw new RedisProtocolException($"'{Encoding.ASCII.GetString(line)}' is not an integer.");
        }
        return value;
    }

    private static double Number(ReadOnlySequence<byte> line)
    {
        var text = Encoding.ASCII.GetString(line);
        return text switch
        {
            "inf" => double.PositiveInfinity,
            "-inf" => double.NegativeInfinity,
            "nan" => double.NaN,
            _ => double.Parse(text, System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    private static ReadOnlySpan<byte> Copy(ReadOnlySequence<byte> line, Span<byte> into)
    {
        line.CopyTo(into);
        return into[..(int)line.Length];
    }
}

public sealed class RedisProtocolException(string message) : Exception(message);
