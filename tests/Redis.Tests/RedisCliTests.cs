using System.Diagnostics;
using AgentFleet.Redis.Tests.Fixtures;

namespace AgentFleet.Redis.Tests;

public sealed class RedisCliTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task AValueWeWriteReadsBackByteForByteThroughRedisCli()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await RedisClient.ConnectAsync(redis.Server.ConnectionString, ct);
        var value = Enumerable.Range(0, 256).Select(b => (byte)b).Concat("héllo\r\n"u8.ToArray()).ToArray();
        var key = RedisServerFixture.Key("cli");
        await client.SetAsync(key, value, cancellationToken: ct);

        var start = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-h", "127.0.0.1", "-p", redis.Server.Port.ToString(), "--no-auth-warning", "-a", redis.Server.Password, "--raw", "GET", key })
        {
            start.ArgumentList.Add(argument);
        }
        using var cli = Process.Start(start)!;
        using var output = new MemoryStream();
        await cli.StandardOutput.BaseStream.CopyToAsync(output, ct);
        await cli.WaitForExitAsync(ct);

        // --raw prints the value as it is, then one newline.
        Assert.Equal([.. value, (byte)'\n'], output.ToArray());
    }
}
