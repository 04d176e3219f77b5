namespace AgentFleet.Gateway.Tests.Fixtures;

/// <summary>Samples a process's resident memory (VmRSS) while something runs, and reports the highest seen.</summary>
public sealed class PeakMemory : IAsyncDisposable
{
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;

    public PeakMemory(int pid)
    {
        _pid = pid;
        Baseline = Read();
        Peak = Baseline;
        _sampler = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                Peak = Math.Max(Peak, Read());
                await Task.Delay(20);
            }
        });
    }

    public long Baseline { get; }

    public long Peak { get; private set; }

    public long Growth => Peak - Baseline;

    private long Read()
    {
        var line = File.ReadLines($"/proc/{_pid}/status").First(l => l.StartsWith("VmRSS:"));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampler;
    }
}
