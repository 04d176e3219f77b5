using System.Diagnostics;

namespace AgentFleet.ManagementApi.Services;

public sealed record CpuInfo(int Cores, double? UsagePercent, double[]? LoadAverage);
public sealed record MemoryInfo(long TotalBytes, long AvailableBytes);
public sealed record DiskInfo(string Path, long TotalBytes, long FreeBytes);
public sealed record GpuInfo(string Name, double? UtilizationPercent, long? MemoryUsedMiB, long? MemoryTotalMiB, double? TemperatureC);

/// <summary>The host's CPU, memory, disk and GPUs, read from /proc, the file system and <c>nvidia-smi</c> where present.</summary>
public static class HostMetrics
{
    public static async Task<CpuInfo> CpuAsync(CancellationToken cancellationToken)
    {
        // Usage over a short window: two readings of /proc/stat's aggregate line.
        var first = ReadCpuTimes();
        await Task.Delay(100, cancellationToken);
        var second = ReadCpuTimes();
        double? usage = first is { } a && second is { } b && b.Total > a.Total
            ? Math.Round(100.0 * (1 - (double)(b.Idle - a.Idle) / (b.Total - a.Total)), 1)
            : null;
        double[]? load = File.Exists("/proc/loadavg")
            ? [.. (await File.ReadAllTextAsync("/proc/loadavg", cancellationToken)).Split(' ').Take(3).Select(double.Parse)]
            : null;
        return new CpuInfo(Environment.ProcessorCount, usage, load);
    }

    public static MemoryInfo Memory()
    {
        long total = 0, available = 0;
        if (File.Exists("/proc/meminfo"))
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 2 && long.TryParse(parts[1], out var kib))
                {
                    if (parts[0] == "MemTotal:") total = kib * 1024;
                    if (parts[0] == "MemAvailable:") available = kib * 1024;
                }
            }
        }
        return new MemoryInfo(total, available);
    }

    public static DiskInfo Disk(string path)
    {
        var drive = new DriveInfo(Path.GetFullPath(path));
        return new DiskInfo(drive.RootDirectory.FullName, drive.TotalSize, drive.AvailableFreeSpace);
    }

    /// <summary>An empty list where there is no nvidia-smi (or it fails): no GPU is not an error.</summary>
    public static async Task<IReadOnlyList<GpuInfo>> GpusAsync(CancellationToken cancellationToken)
    {
        if (FindOnPath("nvidia-smi") is not { } program)
        {
            return [];
        }
        try
        {
            var start = new ProcessStartInfo(program)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                ArgumentList = { "--query-gpu=name,utilization.gpu,memory.used,memory.total,temperature.gpu", "--format=csv,noheader,nounits" },
            };
            using var process = Process.Start(start)!;
            // A driver that hangs nvidia-smi must not hang /v1/status: reading and exiting share one 5 s limit.
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                var output = await process.StandardOutput.ReadToEndAsync(limit.Token);
                await process.WaitForExitAsync(limit.Token);
                return process.ExitCode != 0 ? [] : [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(ParseGpu)];
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill();
                return [];
            }
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException)
        {
            return [];
        }
    }

    private static GpuInfo ParseGpu(string line)
    {
        var fields = line.Split(',', StringSplitOptions.TrimEntries);
        double? Number(int i) => fields.Length > i && double.TryParse(fields[i], System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : null;
        return new GpuInfo(fields[0], Number(1), (long?)Number(2), (long?)Number(3), Number(4));
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program)).FirstOrDefault(File.Exists);

    private static (long Idle, long Total)? ReadCpuTimes()
    {
        if (!File.Exists("/proc/stat"))
        {
            return null;
        }
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        // idle + iowait count as idle.
        return (fields[3] + (fields.Length > 4 ? fields[4] : 0), fields.Sum());
    }
}
