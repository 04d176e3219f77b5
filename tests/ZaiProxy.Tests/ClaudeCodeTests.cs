using System.Diagnostics;
using System.Text.Json.Nodes;
using AgentFleet.Testing;
using AgentFleet.ZaiProxy.Tests.Fixtures;

namespace AgentFleet.ZaiProxy.Tests;

/// <summary>The real Claude Code CLI with its base URL set to the proxy and a session key, as SessionRunner starts it.</summary>
public sealed class ClaudeCodeTests(ProxyFixture fixture)
{
    [Fact]
    public async Task ClaudeCodeThroughTheProxyCompletesATaskWithAToolCallAndItsUsageIsRecordedForTheSession()
    {
        var ct = TestContext.Current.CancellationToken;
        var (key, sessionId) = ProxyFixture.NewSessionKey();
        var workspace = Directory.CreateTempSubdirectory("zai-claude-");
        try
        {
            var target = Path.Combine(workspace.FullName, "greeting.txt");
            var input = new JsonObject { ["file_path"] = target, ["content"] = "hello through the proxy\n" }.ToJsonString();
            var start = new ProcessStartInfo(ClaudeCli.Path) { WorkingDirectory = workspace.FullName, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "-p", "--output-format", "stream-json", "--verbose", "--permission-mode", "acceptEdits", "--allowedTools", "Write", "--",
                $"Write the greeting file.\n#sim tool Write {input}" })
            {
                start.ArgumentList.Add(argument);
            }
            start.Environment.Clear();
            start.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH");
            start.Environment["HOME"] = Directory.CreateDirectory(Path.Combine(workspace.FullName, ".home")).FullName;
            start.Environment["ANTHROPIC_BASE_URL"] = fixture.Simulated.HttpUrl;
            start.Environment["ANTHROPIC_API_KEY"] = key;
            start.Environment["DISABLE_AUTOUPDATER"] = "1";
            start.Environment["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1";

            using var claude = Process.Start(start)!;
            var stdout = claude.StandardOutput.ReadToEndAsync(ct);
            var stderr = claude.StandardError.ReadToEndAsync(ct);
            await claude.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromMinutes(2), ct);
            var lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

            Assert.True(claude.ExitCode == 0, $"exit {claude.ExitCode}\n{await stderr}\n{await stdout}");
            Assert.Equal("hello through the proxy\n", await File.ReadAllTextAsync(target, ct));
            var result = lines.Last(l => l["type"]?.GetValue<string>() == "result");
            Assert.Equal("success", result["subtype"]!.GetValue<string>());
            Assert.StartsWith("Done. The tool said:", result["result"]!.GetValue<string>());

            // Both turns (the tool call and the answer after its result) were recorded against the session.
            var calls = (await fixture.UsageRowsAsync(sessionId, expected: 2, ct)).Count(r => r.Output > 0);
            Assert.True(calls >= 2, $"{calls} usage rows");
        }
        finally
        {
            workspace.Delete(recursive: true);
        }
    }
}
