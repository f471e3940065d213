using KafkaIngestion.Api;
using KafkaIngestion.IngestGrpc;
using Microsoft.Extensions.DependencyInjection;

namespace KafkaIngestion.Tests.Api;

/// <summary>A PublishStream call when things go wrong: the broker goes down, the client goes away.</summary>
public sealed class GrpcStreamFaultTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task WhileTheBrokerIsDownAStreamsEventsAreAnsweredFailedNeverAccepted()
    {
        await using var api = await InProcessApi.StartAsync(new Dictionary<string, string?> { ["Ingestion:PublishTimeout"] = "00:00:01" });
        using var timeout = new CancellationTokenSource(Timeout);
        using var stream = new Ingest.IngestClient(api.Channel()).PublishStream(cancellationToken: timeout.Token);
        var answers = new Dictionary<long, EventResult>();
        var index = 0L;
        async Task<List<EventResult>> SendAsync(int count)
        {
            var first = index;
            for (var i = 0; i < count; i++)
            {
                await stream.RequestStream.WriteAsync(Event($"down-{index++}"), timeout.Token);
            }

            while (Enumerable.Range(0, count).Any(i => !answers.ContainsKey(first + i)) && await stream.ResponseStream.MoveNext(timeout.Token))
            {
                foreach (var result in stream.ResponseStream.Current.Results)
                {
                    Assert.True(answers.TryAdd(result.Index, result), $"event {result.Index} answered twice");
                }
            }

            return [.. Enumerable.Range(0, count).Select(i => answers[first + i])];
        }

        var before = await SendAsync(20);
        api.Broker.SetDown();
        var whileDown = await SendAsync(20);
        api.Broker.SetUp();
        var after = await Waiting(async () => await SendAsync(1), a => a[0].OutcomeCase == EventResult.OutcomeOneofCase.Accepted);
        await stream.RequestStream.CompleteAsync();

        Assert.All(before, a => Assert.Equal(EventResult.OutcomeOneofCase.Accepted, a.OutcomeCase));
        Assert.All(whileDown, a => Assert.Equal(EventResult.OutcomeOneofCase.Failed, a.OutcomeCase));
        Assert.All(whileDown, a => Assert.True(a.Failed.RetryAfter.ToTimeSpan() > TimeSpan.Zero));
        Assert.Equal(EventResult.OutcomeOneofCase.Accepted, after[0].OutcomeCase);
    }

    [Fact]
    public async Task AClientThatGoesAwayMidStreamLeavesNothingHeldAndNothingAnsweredTwice()
    {
        await using var api = await InProcessApi.StartAsync();
        var budget = api.Services.GetRequiredService<InFlightBudget>();
        var counters = api.Services.GetRequiredService<IngestionCounters>();
        var fullBudget = budget.AvailableBytes;
        using var timeout = new CancellationTokenSource(Timeout);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        var stream = new Ingest.IngestClient(api.Channel()).PublishStream(cancellationToken: abort.Token);
        var answered = new HashSet<long>();

        // Events keep going out while the answers to the first ones are read; then the client vanishes.
        var writing = Task.Run(async () =>
        {
            for (var i = 0; !abort.IsCancellationRequested; i++)
            {
                await stream.RequestStream.WriteAsync(Event($"gone-{i}"), abort.Token);
            }
        }, CancellationToken.None);
        while (answered.Count < 500 && await stream.ResponseStream.MoveNext(timeout.Token))
        {
            foreach (var result in stream.ResponseStream.Current.Results)
            {
                Assert.True(answered.Add(result.Index), $"event {result.Index} answered twice");
            }
        }

        await abort.CancelAsync();
        try
        {
            await writing;
        }
        catch (Exception ex) when (ex is OperationCanceledException or Grpc.Core.RpcException or InvalidOperationException)
        {
            // The call was cancelled under a write; or the loop saw the cancellation first and ended.
        }

        stream.Dispose();

        // Every event the API took is settled by the broker and counted; its room and budget come back.
        await Waiting(() => Task.FromResult((budget.AvailableBytes, counters.InFlight)), state => state == (fullBudget, 0L));
        Assert.True(counters.Accepted >= answered.Count);
    }

    private static CloudEvent Event(string id) => new() { Id = id, Source = "/tests", SpecVersion = "1.0", Type = "grpc.fault", TextData = "x" };

    private static async Task<T> Waiting<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                Assert.True(done(value), $"still {value} after {Timeout}");
                return value;
            }

            await Task.Delay(200);
        }
    }
}
