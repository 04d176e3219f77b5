using System.Net;
using System.Net.Sockets;

namespace AgentFleet.AppHost.Tests;

public sealed class ConfigurationErrorTests
{
    [Fact]
    public async Task AGatewayPortInUseIsReportedPlainlyWithExitCodeOneAndNothingStarts()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var taken = ((IPEndPoint)holder.LocalEndpoint).Port;

        await using var apphost = AppHostProcess.Start(new Dictionary<string, string> { ["GATEWAY_PORT"] = taken.ToString() });

        Assert.True(await apphost.WaitForExitAsync(TimeSpan.FromSeconds(60)), apphost.Tail());
        Assert.Equal(1, apphost.ExitCode);
        Assert.Contains($"Port {taken} for gateway/http is in use", apphost.Tail());
        Assert.DoesNotContain("Unhandled exception", apphost.Tail());
        Assert.Empty(apphost.Snapshot());
    }
}
