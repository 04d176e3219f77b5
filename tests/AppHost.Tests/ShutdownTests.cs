using System.Net;
using System.Text.RegularExpressions;
using AgentFleet.Testing;

namespace AgentFleet.AppHost.Tests;

/// <summary>The AppHost as `dotnet run --project AppHost` runs it: the dashboard comes up, and SIGTERM leaves nothing.</summary>
public sealed partial class ShutdownTests
{
    [Fact]
    public async Task TheDashboardAnswersAndSigtermStopsEveryProcessAgentsIncluded()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var apphost = AppHostProcess.Start(new Dictionary<string, string> { ["MANAGEMENT_API_KEY"] = "test-admin-key" });
        var healthy = await apphost.WaitForAsync(ResourceSnapshot.AllUp, TimeSpan.FromMinutes(3), "every resource is up");

        // The dashboard's login link is printed, and it lets a browser in.
        var login = LoginLink().Match(apphost.Tail(400));
        Assert.True(login.Success, apphost.Tail());
        Assert.Equal(apphost.DashboardPort, new Uri(login.Value).Port);
        using (var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }))
        using (var page = await browser.GetAsync(login.Value, ct))
        {
            Assert.True(page.StatusCode is HttpStatusCode.OK or HttpStatusCode.Redirect or HttpStatusCode.Found, $"{page.StatusCode}");
        }

        // An agent is running when the AppHost is told to stop.
        var api = new FleetApi(new Uri(healthy.Single(r => r.Name == "gateway").Endpoints["http"]));
        await api.JsonAsync(HttpMethod.Post, "/v1/sessions", "test-admin-key",
            """{"agent": "command", "command": ["sleep", "301"], "task": "outlive the fleet"}""", HttpStatusCode.Accepted);
        HashSet<int> processes = [];
        for (var deadline = DateTime.UtcNow.AddSeconds(30); !processes.Any(IsAgent) && DateTime.UtcNow < deadline; await Task.Delay(200, ct))
        {
            processes = apphost.Processes();
        }
        Assert.Contains(processes, IsAgent);
        Assert.True(processes.Count > healthy.Count(r => r.Pid is not null), "PostgreSQL's background processes and DCP should be among those found");

        Assert.Equal(0, Native.Kill(apphost.Pid, 15));
        Assert.True(await apphost.WaitForExitAsync(TimeSpan.FromSeconds(90)), $"The AppHost did not exit.\n{apphost.Tail()}");
        Assert.True(apphost.ExitCode == 0, $"The AppHost exited with {apphost.ExitCode}.\n{apphost.Tail()}");
        // DCP finishes stopping what it runs after the AppHost has returned.
        await ProcessTable.WaitUntilGoneAsync(processes, TimeSpan.FromSeconds(45));
        Assert.DoesNotContain(processes, ProcessTable.IsAlive);
        foreach (var url in healthy.SelectMany(r => r.Endpoints.Values))
        {
            Assert.True(PortAllocator.IsFree(new Uri(url).Port), $"{url} is still bound");
        }
    }

    private static bool IsAgent(int pid) => AppHostProcess.CommandLine(pid) is { } command && command.EndsWith("/sleep 301");

    [GeneratedRegex(@"http://localhost:\d+/login\?t=[0-9a-f]+")]
    private static partial Regex LoginLink();
}
