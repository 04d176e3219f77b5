using Anthropic;
using Anthropic.Models.Messages;
using AgentFleet.ZaiProxy.Tests.Fixtures;

namespace AgentFleet.ZaiProxy.Tests;

/// <summary>The official Anthropic C# SDK as a client of the proxy, its base URL set to it, as any application would use it.</summary>
public sealed class AnthropicSdkTests(ProxyFixture fixture)
{
    private AnthropicClient Client(string key) => new() { ApiKey = key, BaseUrl = fixture.Simulated.HttpUrl, MaxRetries = 0 };

    private static MessageCreateParams Ask(string text) => new()
    {
        Model = "claude-sonnet-4-5",
        MaxTokens = 200,
        Messages = [new UserMessageParam { Content = text }],
    };

    [Fact]
    public async Task TheSdkGetsTheSimulatedReplyWithoutStreaming()
    {
        var ct = TestContext.Current.CancellationToken;
        var (key, _) = ProxyFixture.NewSessionKey();

        var message = await Client(key).Messages.Create(Ask("hello from the SDK"), ct);

        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal("You said: hello from the SDK", text!.Text);
        Assert.Equal(6, message.Usage.OutputTokens); // one token a word
        Assert.True(message.Usage.InputTokens > 0);
    }

    [Fact]
    public async Task TheSdkStreamsTheSimulatedReplyDeltaByDelta()
    {
        var ct = TestContext.Current.CancellationToken;
        var (key, _) = ProxyFixture.NewSessionKey();

        var deltas = new List<string>();
        var stopped = false;
        await foreach (var streamEvent in Client(key).Messages.CreateStreaming(Ask("#sim tokens 6"), ct))
        {
            if (streamEvent.TryPickContentBlockDelta(out var delta) && delta!.Delta.TryPickText(out var text))
            {
                deltas.Add(text!.Text);
            }
            stopped |= streamEvent.TryPickStop(out _);
        }

        Assert.Equal(["t1 ", "t2 ", "t3 ", "t4 ", "t5 ", "t6 "], deltas);
        Assert.True(stopped);
    }

    [Fact]
    public async Task TheSdkSeesAnUpstreamErrorAsItsOwnErrorWithTheStatus()
    {
        var ct = TestContext.Current.CancellationToken;
        var (key, _) = ProxyFixture.NewSessionKey();

        var error = await Assert.ThrowsAsync<Anthropic.Exceptions.AnthropicBadRequestException>(() => Client(key).Messages.Create(Ask("#sim error 400"), ct));

        Assert.Contains("BadRequest", error.Message);
    }
}
