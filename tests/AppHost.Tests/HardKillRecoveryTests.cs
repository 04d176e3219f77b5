using AgentFleet.Hosting.Orchestration;

namespace AgentFleet.AppHost.Tests;

public sealed class HardKillRecoveryTests
{
    [Fact]
    public async Task AfterTheAppHostIsKilledOutrightTheNextRunStopsWhatItLeftAndStartsOnTheSameData()
    {
        await using var first = AppHostProcess.Start();
        var before = await first.WaitForAsync(AllHealthy, TimeSpan.FromMinutes(3), "the first run is healthy");
        var leftovers = before.Where(r => r.Pid is not null).Select(r => r.Pid!.Value).ToList();
        Assert.Equal(0, Native.Kill(first.Pid, 9));
        Assert.True(await first.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        try
        {
            Assert.All(leftovers, pid => Assert.True(ProcessTable.IsAlive(pid), $"{pid} should have outlived a SIGKILLed AppHost"));

            await using var second = AppHostProcess.Start(fleetHome: first.FleetHome);
            // The first run's snapshot is still on disk: wait for one that names none of its pids.
            var after = await second.WaitForAsync(
                s => AllHealthy(s) && !s.Any(r => r.Pid is int pid && leftovers.Contains(pid)), TimeSpan.FromMinutes(3), "the second run is healthy");

            Assert.DoesNotContain(leftovers, ProcessTable.IsAlive);
            Assert.True(after.Sum(r => r.Restarts) == 0, $"Nothing should have needed a restart.\n{second.Tail(200)}");
            Assert.Contains("left running by an earlier AppHost", second.Tail(400));
        }
        finally
        {
            // Whatever happened above, the orphans of the killed run must not outlive the test.
            foreach (var group in leftovers)
            {
                Native.Kill(-group, 9);
            }
        }
    }

    private static bool AllHealthy(IReadOnlyList<ResourceState> snapshot) => snapshot.All(r => r.Health == HealthStates.Healthy);
}
