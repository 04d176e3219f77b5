namespace AgentFleet.Hosting.Console;

using Console = System.Console;

/// <summary>Every resource's output on one console, each line prefixed with the resource's name.</summary>
public sealed class ConsoleLog(bool silent = false)
{
    private static readonly string[] Colors = ["\u001b[36m", "\u001b[33m", "\u001b[35m", "\u001b[32m", "\u001b[34m", "\u001b[96m", "\u001b[93m", "\u001b[95m"];
    private const string Reset = "\u001b[0m";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _colors = new(StringComparer.Ordinal);
    private readonly bool _useColor = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null;
    private int _width = 10;
    private bool _broken;

    public void Register(IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            _colors[name] = Colors[_colors.Count % Colors.Length];
            _width = Math.Max(_width, name.Length);
        }
    }

    public void Line(string resource, string line, bool isError)
    {
        if (silent)
        {
            return;
        }
        var prefix = resource.PadRight(_width);
        Write(_useColor && _colors.TryGetValue(resource, out var color) ? $"{color}{prefix}{Reset} | {line}\n" : $"{prefix} | {line}\n");
    }

    /// <summary>A message from the AppHost itself.</summary>
    public void System(string message) => Line("apphost", message, isError: false);

    /// <summary>A message the user must see, such as a generated key.</summary>
    public void Announce(string message)
    {
        Write($"\n*** {message}\n\n");
    }

    public void Block(string text) => Write(text);

    /// <summary>A closed terminal (SIGHUP, then EIO on every write) silences the log; it must not stop a shutdown.</summary>
    private void Write(string text)
    {
        lock (_gate)
        {
            if (_broken)
            {
                return;
            }
            try
            {
                Console.Out.Write(text);
            }
            catch (IOException)
            {
                _broken = true;
            }
        }
    }
}
