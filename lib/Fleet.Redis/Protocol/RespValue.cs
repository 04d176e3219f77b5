using System.Globalization;
using System.Text;

namespace AgentFleet.Redis.Protocol;

/// <summary>The RESP2 and RESP3 reply types.</summary>
public enum RespType : byte
{
    SimpleString,
    Error,
    Integer,
    BulkString,
    Array,
    Null,
    Double,
    Boolean,
    BigNumber,
    VerbatimString,
    Map,
    Set,
    Push,
}

/// <summary>One reply. A struct: integers and status replies cost no allocation; strings and arrays own their payload.</summary>
public readonly struct RespValue
{
    private readonly object? _payload;
    private readonly long _integer;
    private readonly double _double;

    private RespValue(RespType type, object? payload, long integer = 0, double number = 0)
    {
        Type = type;
        _payload = payload;
        _integer = integer;
        _double = number;
    }

    public RespType Type { get; }

    public bool IsNull => Type == RespType.Null;

    public bool IsError => Type == RespType.Error;

    public static RespValue Null { get; } = new(RespType.Null, null);

    public static RespValue Simple(string text) => new(RespType.SimpleString, text);
    public static RespValue Error(string text) => new(RespType.Error, text);
    public static RespValue Integer(long value) => new(RespType.Integer, null, value);
    public static RespValue Bulk(byte[] bytes, RespType type = RespType.BulkString) => new(type, bytes);
    public static RespValue Aggregate(RespType type, RespValue[] items) => new(type, items);
    public static RespValue Number(double value) => new(RespType.Double, null, 0, value);
    public static RespValue Boolean(bool value) => new(RespType.Boolean, null, value ? 1 : 0);
    public static RespValue Big(string digits) => new(RespType.BigNumber, digits);

    /// <summary>Arrays, sets, maps (key, value, key, value ...) and pushes.</summary>
    public RespValue[] Items => _payload as RespValue[] ?? throw Unexpected("an aggregate");

    public byte[]? AsBytes() => Type switch
    {
        RespType.Null => null,
        RespType.BulkString or RespType.VerbatimString => (byte[])_payload!,
        RespType.SimpleString or RespType.BigNumber => Encoding.UTF8.GetBytes((string)_payload!),
        RespType.Integer => Encoding.ASCII.GetBytes(_integer.ToString(CultureInfo.InvariantCulture)),
        _ => throw Unexpected("a string"),
    };

    public string? AsString() => Type switch
    {
        RespType.Null => null,
        RespType.SimpleString or RespType.Error or RespType.BigNumber => (string)_payload!,
        RespType.BulkString => Encoding.UTF8.GetString((byte[])_payload!),
        // A verbatim string starts with its three-letter format and a colon: "txt:".
        RespType.VerbatimString => Encoding.UTF8.GetString((byte[])_payload!).Substring(4),
        RespType.Integer => _integer.ToString(CultureInfo.InvariantCulture),
        RespType.Double => _double.ToString("R", CultureInfo.InvariantCulture),
        RespType.Boolean => _integer == 1 ? "true" : "false",
        _ => throw Unexpected("a string"),
    };

    public long AsInteger() => Type switch
    {
        RespType.Integer or RespType.Boolean => _integer,
        RespType.BulkString or RespType.SimpleString => long.Parse(AsString()!, CultureInfo.InvariantCulture),
        _ => throw Unexpected("an integer"),
    };

    public double AsDouble() => Type switch
    {
        RespType.Double => _double,
        RespType.Integer => _integer,
        RespType.BulkString or RespType.SimpleString => double.Parse(AsString()!, CultureInfo.InvariantCulture),
        _ => throw Unexpected("a number"),
    };

    public override string ToString() => Type switch
    {
        RespType.Array or RespType.Set or RespType.Push or RespType.Map => $"{Type}[{Items.Length}]",
        RespType.Null => "(nil)",
        _ => $"{Type}: {AsString()}",
    };

    private InvalidCastException Unexpected(string wanted) => new($"Expected {wanted}, but the reply is {Type}{(IsError ? ": " + _payload : "")}.");
}
