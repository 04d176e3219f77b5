using AgentFleet.AppHost.Supervision;

namespace AgentFleet.AppHost.Tests;

/// <summary>The wait before a crashed resource is started again: doubling while it keeps failing, back to 1 s after a healthy run.</summary>
public sealed class RestartBackoffTests
{
    [Fact]
    public void TheWaitDoublesUpTo30SecondsAndReturnsTo1SecondAfterAHealthyRun()
    {
        var backoff = new RestartBackoff();
        var crashing = Enumerable.Range(0, 7).Select(_ => backoff.Next(TimeSpan.FromSeconds(2), jitter: 0).TotalSeconds).ToList();
        Assert.Equal([1, 2, 4, 8, 16, 30, 30], crashing);

        // Healthy long enough this time: the next crash is treated as the first.
        Assert.Equal(1, backoff.Next(RestartBackoff.StableHealthy, jitter: 0).TotalSeconds);
        Assert.Equal(2, backoff.Next(TimeSpan.Zero, jitter: 0).TotalSeconds);
    }

    [Fact]
    public void JitterAddsAtMostAFifth()
    {
        var backoff = new RestartBackoff();
        Assert.Equal(1.2, backoff.Next(TimeSpan.Zero, jitter: 1).TotalSeconds, precision: 6);
    }
}
