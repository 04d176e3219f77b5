using System.Text;
using AgentFleet.Redis.Connection;
using AgentFleet.Redis.Protocol;
using AgentFleet.Redis.Tests.Fixtures;

namespace AgentFleet.Redis.Tests;

public sealed class CommandTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    public static TheoryData<int> Protocols => new(2, 3);

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task StringAndCounterCommandsBehaveAsRedisSays(int protocol)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await ConnectAsync(protocol);
        var key = RedisServerFixture.Key("str");

        Assert.Null(await client.GetAsync(key, ct));
        Assert.True(await client.SetAsync(key, "v1", cancellationToken: ct));
        Assert.False(await client.SetAsync(key, "v2", onlyIfNotExists: true, cancellationToken: ct));
        Assert.Equal("v1", await client.GetStringAsync(key, ct));
        Assert.True(await client.SetAsync(key, "v3", expiry: TimeSpan.FromSeconds(100), cancellationToken: ct));
        Assert.InRange((await client.ExecuteAsync("TTL", key)).AsInteger(), 1, 100);
        Assert.Equal(1, await client.DeleteAsync([key, RedisServerFixture.Key("absent")], ct));

        var counter = RedisServerFixture.Key("counter");
        Assert.Equal(1, await client.IncrementAsync(counter, cancellationToken: ct));
        Assert.Equal(11, await client.IncrementAsync(counter, 10, ct));
        Assert.True(await client.ExpireAsync(counter, TimeSpan.FromSeconds(50), ct));
        Assert.False(await client.ExpireAsync(RedisServerFixture.Key("absent"), TimeSpan.FromSeconds(50), ct));
        Assert.Equal("PONG", await client.PingAsync(ct));
        Assert.Contains("redis_version:", await client.InfoAsync("server", ct));

        var wrongType = await Assert.ThrowsAsync<RedisServerException>(() => client.ExecuteAsync("LPUSH", counter, "x").AsTask());
        Assert.Equal("WRONGTYPE", wrongType.Kind);
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task HashesStreamsAndScriptsWork(int protocol)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await ConnectAsync(protocol);

        var hash = RedisServerFixture.Key("hash");
        Assert.Equal(2, await client.HSetAsync(hash, [new("a", "1"u8.ToArray()), new("b", "2"u8.ToArray())], ct));
        var fields = await client.HGetAllAsync(hash, ct);
        Assert.Equal(["a", "b"], fields.Keys.Order());
        Assert.Equal("2", Encoding.UTF8.GetString(fields["b"]));

        var stream = RedisServerFixture.Key("stream");
        var first = await client.XAddAsync(stream, [new("type", "text"u8.ToArray())], cancellationToken: ct);
        var second = await client.XAddAsync(stream, [new("type", "usage"u8.ToArray())], cancellationToken: ct);
        Assert.Equal([first, second], (await client.XRangeAsync(stream, cancellationToken: ct)).Select(e => e.Id));
        var after = await client.XReadAsync(stream, first, cancellationToken: ct);
        Assert.Equal("usage", Encoding.UTF8.GetString(Assert.Single(after).Fields.Single().Value));
        Assert.Empty(await client.XReadAsync(stream, second, block: TimeSpan.FromMilliseconds(50), cancellationToken: ct));

        const string script = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
        var scripted = RedisServerFixture.Key("scripted");
        Assert.Equal(5, (await client.EvalAsync(script, [scripted], [5], ct)).AsInteger());
        // The server forgets every script: EVALSHA gets NOSCRIPT and the client falls back to EVAL.
        await client.ExecuteAsync("SCRIPT", "FLUSH");
        Assert.Equal(12, (await client.EvalAsync(script, [scripted], [7], ct)).AsInteger());
    }

    [Fact]
    public async Task ALargeBinaryValueRoundTripsExactly()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await ConnectAsync(2);
        var value = new byte[8 * 1024 * 1024 + 7];
        new Random(42).NextBytes(value);
        var key = RedisServerFixture.Key("large");

        await client.SetAsync(key, value, cancellationToken: ct);

        Assert.Equal(value, await client.GetAsync(key, ct));
    }

    [Fact]
    public async Task SixtyFourTasksPipeliningOnOneConnectionEachGetTheirOwnReplies()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await ConnectAsync(2);
        var prefix = RedisServerFixture.Key("pipe");

        var tasks = Enumerable.Range(0, 64).Select(task => Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                var key = $"{prefix}:{task}:{i % 7}";
                await client.SetAsync(key, $"{task}/{i}", cancellationToken: ct);
                Assert.Equal($"{task}/{i}", await client.GetStringAsync(key, ct));
                Assert.Equal(i + 1, await client.IncrementAsync($"{prefix}:counter:{task}", cancellationToken: ct));
            }
        }, ct));

        await Task.WhenAll(tasks);
    }

    [Fact]
    public async Task AWrongPasswordFailsTheConnectionWithoutShowingIt()
    {
        var options = RedisOptions.Parse(redis.Server.ConnectionString) with { Password = "definitely-wrong" };

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => RedisClient.ConnectAsync(options, TestContext.Current.CancellationToken));

        Assert.DoesNotContain("definitely-wrong", error.Message);
        Assert.Contains("AUTH", error.Message);
    }

    [Fact]
    public void TheAspireConnectionStringFormIsUnderstood()
    {
        var options = RedisOptions.Parse("cache.internal:6380,password=s3cret,ssl=true,database=2,protocol=3,connectTimeout=2000,abortConnect=false");

        Assert.Equal(("cache.internal", 6380, "s3cret", true, 2, 3), (options.Host, options.Port, options.Password, options.Ssl, options.Database, options.Protocol));
        Assert.Equal(TimeSpan.FromSeconds(2), options.ConnectTimeout);
        Assert.DoesNotContain("s3cret", options.ToString());
    }

    private Task<RedisClient> ConnectAsync(int protocol) =>
        RedisClient.ConnectAsync(RedisOptions.Parse(redis.Server.ConnectionString) with { Protocol = protocol }, TestContext.Current.CancellationToken);
}
