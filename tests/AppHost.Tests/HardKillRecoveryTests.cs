using System.Net;
using AgentFleet.Testing;

namespace AgentFleet.AppHost.Tests;

public sealed class HardKillRecoveryTests
{
    private static readonly Dictionary<string, string> Admin = new() { ["MANAGEMENT_API_KEY"] = "test-admin-key" };

    [Fact]
    public async Task AfterAHardKillNothingIsLeftRunningAndTheNextRunStartsOnTheSameData()
    {
        var ct = TestContext.Current.CancellationToken;
        string key;
        HashSet<int> firstRun;
        var fleetHome = Path.Combine(Path.GetTempPath(), $"fleet-apphost-test-{Guid.NewGuid():N}");

        // 1. SIGKILL to the AppHost alone: DCP, which watches it, stops everything it ran.
        await using (var first = AppHostProcess.Start(Admin, fleetHome))
        {
            var up = await first.WaitForAsync(ResourceSnapshot.AllUp, TimeSpan.FromMinutes(3), "the first run is up");
            var api = new FleetApi(new Uri(up.Single(r => r.Name == "gateway").Endpoints["http"]));
            key = (await api.JsonAsync(HttpMethod.Post, "/v1/keys", "test-admin-key", """{"name": "survivor", "role": "viewer"}""", HttpStatusCode.Created))["key"]!.GetValue<string>();
            var processes = firstRun = first.Processes();
            Assert.Equal(0, Native.Kill(first.Pid, 9));
            Assert.True(await first.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.True(await ProcessTable.WaitUntilGoneAsync(processes, TimeSpan.FromSeconds(60)),
                $"Still running after the AppHost was killed: {string.Join(", ", processes.Where(ProcessTable.IsAlive).Select(AppHostProcess.CommandLine))}");
        }

        // 2. SIGKILL to the AppHost and DCP together (a kill of the whole tree): the services and servers are orphans.
        List<int> leftovers;
        await using (var second = AppHostProcess.Start(Admin, fleetHome))
        {
            var up = await second.WaitForAsync(s => ResourceSnapshot.AllUp(s) && !s.Any(r => r.Pid is int pid && firstRun.Contains(pid)),
                TimeSpan.FromMinutes(3), "the second run is up");
            var processes = second.Processes();
            var dcp = processes.Where(pid => AppHostProcess.CommandLine(pid)?.Contains("/dcp ") == true).ToList();
            // Everything DCP ran: the services (and the `dotnet run` each runs under), the servers, the dashboard.
            leftovers = [.. processes.Except(dcp)];
            Assert.Contains(leftovers, pid => AppHostProcess.CommandLine(pid)?.Contains("Aspire.Dashboard") == true);
            Assert.True(dcp.Count > 0, $"No DCP process among those of AppHost {second.Pid}: {string.Join("\n", processes.Select(AppHostProcess.CommandLine))}");
            Assert.Equal(0, Native.Kill(second.Pid, 9));
            foreach (var pid in dcp)
            {
                Native.Kill(pid, 9);
            }
            Assert.True(await second.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
            Assert.Contains(leftovers, ProcessTable.IsAlive);

            // 3. The next run stops what the killed one left, then starts on the same data: the key made in run 1 works.
            await using var third = AppHostProcess.Start(Admin, fleetHome);
            var after = await third.WaitForAsync(
                s => ResourceSnapshot.AllUp(s) && !s.Any(r => r.Pid is int pid && leftovers.Contains(pid)), TimeSpan.FromMinutes(3), "the third run is up");
            Assert.True(await ProcessTable.WaitUntilGoneAsync(leftovers, TimeSpan.FromSeconds(10)),
                $"Left running: {string.Join(", ", leftovers.Where(ProcessTable.IsAlive).Select(AppHostProcess.CommandLine))}");
            Assert.True(after.Sum(r => r.Restarts) == 0, $"Nothing should have needed a restart.\n{third.Tail(200)}");
            Assert.Contains("left running by an earlier AppHost", third.Tail(400));
            var api = new FleetApi(new Uri(after.Single(r => r.Name == "gateway").Endpoints["http"]));
            Assert.Equal("viewer", (await api.JsonAsync(HttpMethod.Get, "/v1/keys/self", key))["role"]!.GetValue<string>());
        }
        finally
        {
            // Whatever happened above, the orphans of the killed run must not outlive the test.
            foreach (var pid in ProcessTable.MembersOf(leftovers.ToHashSet()))
            {
                Native.Kill(pid, 9);
            }
            try
            {
                Directory.Delete(fleetHome, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }
    }
}
