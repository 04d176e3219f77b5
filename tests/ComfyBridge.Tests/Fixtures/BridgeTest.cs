namespace AgentFleet.ComfyBridge.Tests.Fixtures;

/// <summary>
/// A test class over one ComfyUI test server and one bridge of its own (xunit makes an instance per test, so each
/// test gets fresh ones): the server's sampler steps take <paramref name="stepDelay"/>, the bridge gets <paramref name="settings"/>.
/// </summary>
public abstract class BridgeTest(PostgresFixture postgres, TimeSpan? stepDelay = null, Dictionary<string, string>? settings = null) : IAsyncLifetime
{
    protected PostgresFixture Postgres { get; } = postgres;

    protected ComfyUiServer Comfy { get; private set; } = null!;

    protected Bridge Bridge { get; private set; } = null!;

    public virtual async ValueTask InitializeAsync()
    {
        Comfy = await ComfyUiServer.StartAsync();
        if (stepDelay is { } delay)
        {
            Comfy.StepDelay = delay;
        }
        Bridge = await Bridge.StartAsync(Postgres, [Comfy.Url], settings);
    }

    public virtual async ValueTask DisposeAsync()
    {
        await Bridge.DisposeAsync();
        await Comfy.DisposeAsync();
    }
}
