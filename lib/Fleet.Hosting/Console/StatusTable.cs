using System.Text;
using AgentFleet.Hosting.Orchestration;

namespace AgentFleet.Hosting.Console;

/// <summary>The resource table, printed again shortly after each change (changes close together print once).</summary>
public sealed class StatusTable : IDisposable
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(400);

    private readonly ResourceStateStore _states;
    private readonly ConsoleLog _log;
    private readonly Timer _timer;
    private string _last = "";

    public StatusTable(ResourceStateStore states, ConsoleLog log)
    {
        _states = states;
        _log = log;
        _timer = new Timer(_ => Print());
        states.Changed += () => _timer.Change(Quiet, Timeout.InfiniteTimeSpan);
    }

    public void Print()
    {
        var table = Render(_states.All);
        if (table == _last)
        {
            return;
        }
        _last = table;
        _log.Block(table);
    }

    public static string Render(IReadOnlyList<ResourceState> states)
    {
        string[] headers = ["RESOURCE", "KIND", "STATE", "HEALTH", "PID", "RESTARTS", "ENDPOINTS"];
        var rows = states.Select(s => new[]
        {
            s.Name, s.Kind, s.State, s.Health, s.Pid?.ToString() ?? "-", s.Restarts.ToString(),
            s.Endpoints.Count == 0 ? "-" : string.Join(" ", s.Endpoints.Select(e => $"{e.Key}={e.Value}")),
        }).ToList();
        var widths = headers.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder().Append('\n');
        AppendRow(text, headers, widths);
        foreach (var row in rows)
        {
            AppendRow(text, row, widths);
        }
        return text.Append('\n').ToString();
    }

    private static void AppendRow(StringBuilder text, string[] cells, int[] widths)
    {
        for (var i = 0; i < cells.Length; i++)
        {
            text.Append(i == cells.Length - 1 ? cells[i] : cells[i].PadRight(widths[i] + 2));
        }
        text.Append('\n');
    }

    public void Dispose() => _timer.Dispose();
}
