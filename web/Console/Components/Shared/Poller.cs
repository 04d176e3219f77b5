namespace AgentFleet.Console.Components.Shared;

/// <summary>A page that keeps up with the fleet: <c>tick</c> every <c>interval</c> until the page goes.</summary>
public static class Poller
{
    public static async Task EveryAsync(TimeSpan interval, Func<Task> tick, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await tick();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
