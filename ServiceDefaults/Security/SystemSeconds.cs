using System.Globalization;

namespace AgentFleet.ServiceDefaults.Security;

/// <summary>
/// The Unix time in whole seconds, as text, kept current by a timer. A signature's issue time needs no more than
/// that, and reading the clock on every request costs a system call on some hosts (a microsecond or more, measured in
/// the gateway bench's profile), where this is a field read.
/// </summary>
internal static class SystemSeconds
{
    private static volatile string _now = Read();

    // Ten times a second: the text is at most 100 ms behind the clock.
    private static readonly Timer Ticker = new(_ => _now = Read(), null, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));

    public static string Now
    {
        get
        {
            GC.KeepAlive(Ticker);
            return _now;
        }
    }

    private static string Read() => DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
}
