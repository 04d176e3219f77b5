using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using AgentFleet.ComfyBridge.Tests.Fixtures;
using AgentFleet.Gateway.Tests.Fixtures;
using AgentFleet.ServiceDefaults.Security;

namespace AgentFleet.ComfyBridge.Tests;

/// <summary>Output files: names that could reach outside the output folder are refused; old outputs are deleted.</summary>
public sealed class OutputTests(PostgresFixture postgres) : BridgeTest(postgres, settings: new()
{
    ["ComfyUI__OutputRetention"] = "00:00:03",
    ["ComfyUI__CleanupInterval"] = "00:00:00.500",
})
{
    [Theory]
    [InlineData("../SECRET")]
    [InlineData("..%2FSECRET")]
    [InlineData("%2e%2e%2fSECRET")]
    [InlineData("%2E%2E/SECRET")]
    [InlineData("..%5cSECRET")]
    [InlineData("..\\SECRET")]
    [InlineData("/tmp/SECRET")]
    [InlineData("%2ftmp%2fSECRET")]
    [InlineData("sub/SECRET")]
    [InlineData(".SECRET")]
    public async Task TraversalAbsoluteEncodedAndBackslashNamesAreRefused(string form)
    {
        var ct = TestContext.Current.CancellationToken;
        // A file beside the output folder, which a traversal would reach.
        var secret = $"comfy-secret-{Guid.NewGuid():N}.txt";
        var secretPath = Path.Combine(Path.GetDirectoryName(Bridge.OutputDirectory)!, secret);
        await File.WriteAllTextAsync(secretPath, "do not serve", ct);
        try
        {
            var path = "/v1/comfyui/outputs/" + form.Replace("SECRET", secret).Replace("/tmp/", Path.GetDirectoryName(Bridge.OutputDirectory) + "/");
            var (status, body) = await RawGetAsync(path, ct);
            Assert.True(status == 400, $"{path}: {status} {body}");
            Assert.Contains("invalid_output_name", body);
            Assert.DoesNotContain("do not serve", body);
        }
        finally
        {
            File.Delete(secretPath);
        }
    }

    [Fact]
    public async Task OutputsOlderThanTheRetentionAreDeleted()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = Bridge.Client("alice");
        var id = await Bridge.SubmitAsync(client, Workflows.TextToImage(steps: 1), ct);
        var name = (await Bridge.WaitForStatusAsync(client, id, "completed", ct))["outputs"]![0]!.GetValue<string>();
        Assert.True(File.Exists(Path.Combine(Bridge.OutputDirectory, name)));
        using (var fresh = await client.GetAsync($"/v1/comfyui/outputs/{name}", ct))
        {
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        }

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await client.GetFromJsonAsync<JsonObject>("/v1/comfyui/outputs", ct))!["total"]!.GetValue<int>() > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the output was never cleaned up");
            await Task.Delay(100, ct);
        }
        Assert.False(File.Exists(Path.Combine(Bridge.OutputDirectory, name)));
        using var gone = await client.GetAsync($"/v1/comfyui/outputs/{name}", ct);
        await Problem.AssertAsync(gone, HttpStatusCode.NotFound, "not_found");
    }

    /// <summary>The request line exactly as given (HttpClient would resolve the dot segments first), signed as the gateway signs it.</summary>
    private async Task<(int Status, string Body)> RawGetAsync(string path, CancellationToken ct)
    {
        var uri = new Uri(Bridge.Process.HttpUrl);
        var headers = new StringBuilder();
        new IdentitySigner(Bridge.IdentitySecret).Sign(new CallerIdentity("key-alice", "alice", CallerRole.Operator), "GET", path,
            (name, value) => headers.Append($"{name}: {value}\r\n"));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port, ct);
        await using var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {uri.Authority}\r\n{headers}Connection: close\r\n\r\n"), ct);
        var response = await new StreamReader(stream).ReadToEndAsync(ct);
        return (int.Parse(response.Split(' ')[1]), response);
    }
}
