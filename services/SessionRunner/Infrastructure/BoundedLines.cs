using System.Runtime.CompilerServices;
using System.Text;

namespace AgentFleet.SessionRunner.Infrastructure;

/// <summary>
/// Lines of an agent's output, none longer than a limit: a line past it is handed on in pieces of that length.
/// An agent that writes gigabytes without a newline costs the runner one piece of memory, not the lot.
/// </summary>
public static class BoundedLines
{
    public static async IAsyncEnumerable<string> ReadAsync(TextReader reader, int maxLength, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var buffer = new char[16 * 1024];
        var line = new StringBuilder();
        int read;
        while ((read = await reader.ReadAsync(buffer, cancellationToken)) > 0)
        {
            var start = 0;
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] == '\n')
                {
                    line.Append(buffer, start, i - start);
                    start = i + 1;
                    yield return Take(line, trimCarriageReturn: true);
                }
                else if (line.Length + i - start + 1 >= maxLength)
                {
                    line.Append(buffer, start, i - start + 1);
                    start = i + 1;
                    yield return Take(line, trimCarriageReturn: false);
                }
            }
            line.Append(buffer, start, read - start);
        }
        if (line.Length > 0)
        {
            yield return Take(line, trimCarriageReturn: true);
        }
    }

    private static string Take(StringBuilder line, bool trimCarriageReturn)
    {
        if (trimCarriageReturn && line.Length > 0 && line[^1] == '\r')
        {
            line.Length--;
        }
        var text = line.ToString();
        line.Clear();
        return text;
    }
}
