using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using AgentFleet.Grpc.Client;
using AgentFleet.Grpc.Tests.Echo;
using AgentFleet.Grpc.Tests.Fixtures;

namespace AgentFleet.Grpc.Tests;

public sealed class TelemetryTests(GrpcServerFixture server) : IClassFixture<GrpcServerFixture>
{
    [Fact]
    public async Task ACallIsAClientAndAServerSpanOfOneTraceWithRpcAttributes()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is GrpcTelemetry.Name or "Microsoft.AspNetCore" or "System.Net.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        using var parent = new Activity("test").Start();

        var reply = await server.Client.UnaryAsync(new EchoRequest { Text = "trace" }, new CallOptions(CancellationToken: TestContext.Current.CancellationToken));
        parent.Stop();

        Assert.Equal(parent.TraceId.ToString(), reply.Text);
        var spans = await WaitForSpansAsync(stopped, parent.TraceId);
        var client = spans.Single(a => a.Kind == ActivityKind.Client && a.Source.Name == GrpcTelemetry.Name);
        var served = spans.Single(a => a.Kind == ActivityKind.Server);
        foreach (var span in new[] { client, served })
        {
            Assert.Equal("fleet.test.v1.Echo/Unary", span.DisplayName);
            Assert.Equal("grpc", span.GetTagItem("rpc.system"));
            Assert.Equal("fleet.test.v1.Echo", span.GetTagItem("rpc.service"));
            Assert.Equal("Unary", span.GetTagItem("rpc.method"));
            Assert.Equal(0, span.GetTagItem("rpc.grpc.status_code"));
        }
    }

    [Fact]
    public async Task CallDurationsAreMeasuredByMethodAndStatusCode()
    {
        var measured = new ConcurrentQueue<(string Instrument, string? Method, int? Status)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == GrpcTelemetry.Name)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) =>
        {
            string? method = null;
            int? status = null;
            foreach (var tag in tags)
            {
                method = tag.Key == "rpc.method" ? tag.Value as string : method;
                status = tag.Key == "rpc.grpc.status_code" ? tag.Value as int? : status;
            }
            measured.Enqueue((instrument.Name, method, status));
        });
        listener.Start();

        await Assert.ThrowsAsync<RpcException>(() => server.Client.UnaryAsync(
            new EchoRequest { FailWithCode = (int)StatusCode.NotFound, FailMessage = "x" }, new CallOptions(CancellationToken: TestContext.Current.CancellationToken)));

        Assert.Contains(("rpc.client.call.duration", "Unary", 5), measured);
        Assert.Contains(("rpc.server.call.duration", "Unary", 5), measured);
    }

    private static async Task<List<Activity>> WaitForSpansAsync(ConcurrentQueue<Activity> stopped, ActivityTraceId trace)
    {
        // The server span stops after the response has been sent, so it may trail the call by a moment.
        for (var i = 0; i < 100; i++)
        {
            var spans = stopped.Where(a => a.TraceId == trace).ToList();
            if (spans.Any(a => a.Kind == ActivityKind.Server) && spans.Any(a => a.Kind == ActivityKind.Client && a.Source.Name == GrpcTelemetry.Name))
            {
                return spans;
            }
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
        return [.. stopped.Where(a => a.TraceId == trace)];
    }
}
