namespace AgentFleet.Grpc;

/// <summary>The gRPC status codes (grpc/grpc doc/statuscodes.md).</summary>
public enum StatusCode
{
    OK = 0,
    Cancelled = 1,
    Unknown = 2,
    InvalidArgument = 3,
    DeadlineExceeded = 4,
    NotFound = 5,
    AlreadyExists = 6,
    PermissionDenied = 7,
    ResourceExhausted = 8,
    FailedPrecondition = 9,
    Aborted = 10,
    OutOfRange = 11,
    Unimplemented = 12,
    Internal = 13,
    Unavailable = 14,
    DataLoss = 15,
    Unauthenticated = 16,
}

/// <summary>A call's outcome: a code and a message for people.</summary>
public readonly record struct Status(StatusCode StatusCode, string Detail)
{
    public static readonly Status Ok = new(StatusCode.OK, "");

    public override string ToString() => $"Status(StatusCode=\"{StatusCode}\", Detail=\"{Detail}\")";
}

/// <summary>A call that ended with a status other than OK, with the trailers the server sent.</summary>
public sealed class RpcException(Status status, Metadata? trailers = null) : Exception(status.ToString())
{
    public RpcException(StatusCode code, string detail) : this(new Status(code, detail))
    {
    }

    public Status Status { get; } = status;

    public StatusCode StatusCode => Status.StatusCode;

    public Metadata Trailers { get; } = trailers ?? [];
}
