using System.Globalization;

namespace AgentFleet.ServiceDefaults.Security;

/// <summary>
/// The Unix time in whole seconds (and as text), kept current by a timer. A signature's issue time needs no more than
/// that, and reading the clock on every request costs a system call on some hosts (a microsecond or more, measured in
/// the gateway bench's profile), where this is a field read.
/// </summary>
internal static class SystemSeconds
{
    private static volatile Reading _now = Read();

    // Ten times a second: the value is at most 100 ms behind the clock.
    private static readonly Timer Ticker = new(_ => _now = Read(), null, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));

    // The number and its text replaced together, so a reader sees the two of one reading.
    private sealed record Reading(long Seconds, string Text);

    public static string Now => Current.Text;

    public static long UnixSeconds => Current.Seconds;

    private static Reading Current
    {
        get
        {
            GC.KeepAlive(Ticker);
            return _now;
        }
    }

    private static Reading Read()
    {
        var seconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return new Reading(seconds, seconds.ToString(CultureInfo.InvariantCulture));
    }
}
