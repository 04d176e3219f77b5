namespace AgentFleet.Grpc.Server;

public sealed class GrpcServerOptions
{
    public int MaxReceiveMessageSize { get; set; } = GrpcProtocol.DefaultMaxMessageSize;

    public int MaxSendMessageSize { get; set; } = GrpcProtocol.DefaultMaxMessageSize;

    /// <summary>How often the health service's Watch looks at readiness again.</summary>
    public TimeSpan HealthWatchInterval { get; set; } = TimeSpan.FromSeconds(2);
}
