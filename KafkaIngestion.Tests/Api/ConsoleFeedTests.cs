using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using KafkaIngestion.Api;
using KafkaIngestion.Api.WebConsole;
using KafkaIngestion.ConsumerApi;
using KafkaIngestion.ServiceDefaults.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace KafkaIngestion.Tests.Api;

/// <summary>
/// The web console's feed against a stand-in consumer that answers with the consumer's own wire
/// types, and a broker nobody listens for (port 1).
/// </summary>
public sealed class ConsoleFeedTests : IDisposable
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    private readonly IProducer<Null, Null> _producer = new ProducerBuilder<Null, Null>(new ProducerConfig { BootstrapServers = "127.0.0.1:1" }).Build();
    private readonly KafkaBrokerProbe _probe;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 17, 0, 0, TimeSpan.Zero));
    private readonly IngestionCounters _counters;
    private readonly StandInConsumer _consumer = new();
    private readonly Lifetime _lifetime = new();

    public ConsoleFeedTests()
    {
        _probe = new KafkaBrokerProbe(_producer.Handle, TimeSpan.FromMilliseconds(200), TimeProvider.System);
        _counters = new IngestionCounters(_time);
    }

    private ConsoleFeed Feed(TimeProvider? time = null, TimeSpan? pollTimeout = null)
    {
        var options = Options.Create(new ConsoleOptions
        {
            BrokerMode = "embedded",
            ConsumerUrl = new Uri("http://consumer"),
            PollTimeout = pollTimeout ?? TimeSpan.FromSeconds(2),
        });
        return new ConsoleFeed(_counters, _probe, new ConsumerPoller(_consumer, options), options, Options.Create(new IngestionOptions()),
            _lifetime, time ?? _time, NullLogger<ConsoleFeed>.Instance);
    }

    [Fact]
    public async Task ASnapshotHasTheApiRatesFromItsCountersAndTheConsumersFromItsStatus()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        using var feed = Feed();
        _consumer.Processed = 100;

        var first = await feed.SampleAsync(timeout.Token);
        for (var i = 0; i < 30; i++)
        {
            _counters.RecordAccepted();
        }

        _counters.RecordRejected(RejectionReasons.InvalidEvent, 4);
        _counters.RecordFailed("in_flight_limit");
        _consumer.Processed = 300;
        _time.Advance(TimeSpan.FromSeconds(2));
        var second = await feed.SampleAsync(timeout.Token);

        Assert.Null(first.Api.AcceptedPerSecond);
        Assert.Null(first.Consumer.ProcessedPerSecond);
        Assert.Equal(new ApiView(15, 2, 0.5, 30, 4, 1, 0), second.Api);
        Assert.True(second.Consumer.Reachable);
        Assert.Equal(100, second.Consumer.ProcessedPerSecond);
        Assert.Equal(300, second.Consumer.Processed);
        Assert.Equal("running", second.Consumer.State);
        Assert.Equal("member-1", second.Consumer.Member);
        // Partitions the consumer has not read from yet have no lag to add.
        Assert.Equal(7, second.Consumer.Lag);
        Assert.Equal([new PartitionLagView(0, 3), new PartitionLagView(1, null), new PartitionLagView(2, 4)], second.Consumer.Partitions);
        Assert.Equal(["newest", "older"], second.Consumer.Recent.Select(e => e.Id));
        Assert.Equal("""{"n":1}""", second.Consumer.Recent[0].Data);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 17, 0, 2, TimeSpan.Zero), second.At);
    }

    [Fact]
    public async Task TheBrokerIsShownWithItsModeAndAnUnreachableOneWithItsError()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        using var feed = Feed();

        var snapshot = await feed.SampleAsync(timeout.Token);

        Assert.Equal("embedded", snapshot.Broker.Mode);
        Assert.Equal("events", snapshot.Broker.Topic);
        Assert.False(snapshot.Broker.Reachable);
        Assert.Null(snapshot.Broker.Partitions);
        Assert.False(string.IsNullOrEmpty(snapshot.Broker.Error));
    }

    [Fact]
    public async Task AnUnreachableConsumerIsShownAsSuchAndTheApiFiguresStillCome()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        using var feed = Feed();
        _counters.RecordAccepted();
        _consumer.Refuse = true;

        var snapshot = await feed.SampleAsync(timeout.Token);

        Assert.False(snapshot.Consumer.Reachable);
        Assert.Contains("Connection refused", snapshot.Consumer.Error, StringComparison.Ordinal);
        Assert.Null(snapshot.Consumer.Processed);
        Assert.Empty(snapshot.Consumer.Partitions);
        Assert.Equal(1, snapshot.Api.Accepted);
    }

    [Fact]
    public async Task AConsumerThatDoesNotAnswerInTimeCountsAsUnreachable()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        using var feed = Feed(pollTimeout: TimeSpan.FromMilliseconds(300));
        _consumer.Hang = true;

        var snapshot = await feed.SampleAsync(timeout.Token);

        Assert.False(snapshot.Consumer.Reachable);
        Assert.Equal("no answer within 300 ms", snapshot.Consumer.Error);
    }

    [Fact]
    public async Task AConsumerAnsweringWithAnErrorCountsAsUnreachableAndItsRateStartsAnewAfterwards()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        using var feed = Feed();
        await feed.SampleAsync(timeout.Token);
        _consumer.Status = System.Net.HttpStatusCode.ServiceUnavailable;
        _time.Advance(TimeSpan.FromSeconds(1));

        var failing = await feed.SampleAsync(timeout.Token);
        _consumer.Status = System.Net.HttpStatusCode.OK;
        _time.Advance(TimeSpan.FromSeconds(1));
        var back = await feed.SampleAsync(timeout.Token);

        Assert.Equal("answered 503 ServiceUnavailable", failing.Consumer.Error);
        Assert.True(back.Consumer.Reachable);
        Assert.Null(back.Consumer.ProcessedPerSecond);
    }

    [Fact]
    public async Task PollsAreMarkedSoThatTheConsumerDoesNotTraceThem()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        using var feed = Feed();

        await feed.SampleAsync(timeout.Token);

        Assert.All(_consumer.Requests, request => Assert.True(request.Headers.Contains(Microsoft.Extensions.Hosting.Extensions.StatusPollHeader)));
        Assert.Contains(_consumer.Requests, request => request.RequestUri!.PathAndQuery == "/processed/recent?limit=20");
    }

    [Fact]
    public async Task NobodyWatchingMeansNoPollsAndWatchersShareOnePollASecond()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        using var feed = Feed(TimeProvider.System);
        await feed.StartAsync(timeout.Token);

        await Task.Delay(TimeSpan.FromSeconds(1.5), timeout.Token);
        var pollsWhileNobodyWatched = _consumer.StatusPolls;
        var watched = await Task.WhenAll(
            TakeAsync(feed.WatchAsync(timeout.Token), 2, timeout.Token),
            TakeAsync(feed.WatchAsync(timeout.Token), 2, timeout.Token));
        var pollsWhileWatched = _consumer.StatusPolls;
        await Task.Delay(TimeSpan.FromSeconds(2.5), timeout.Token);

        Assert.Equal(0, pollsWhileNobodyWatched);
        Assert.Same(watched[0][1], watched[1][1]);
        Assert.InRange(pollsWhileWatched, 2, 4);
        // Both left: at most the poll under way when they did.
        Assert.InRange(_consumer.StatusPolls - pollsWhileWatched, 0, 1);
        await feed.StopAsync(timeout.Token);
    }

    [Fact]
    public async Task AStreamEndsWhenTheApiStops()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        using var feed = Feed(TimeProvider.System);
        await feed.StartAsync(timeout.Token);

        var watching = TakeAsync(feed.WatchAsync(timeout.Token), int.MaxValue, timeout.Token);
        await Task.Delay(TimeSpan.FromSeconds(1.5), timeout.Token);
        _lifetime.StopApplication();
        var received = await watching.WaitAsync(TimeSpan.FromSeconds(5), timeout.Token);

        Assert.NotEmpty(received);
        await feed.StopAsync(timeout.Token);
    }

    private static async Task<List<ConsoleSnapshot>> TakeAsync(IAsyncEnumerable<ConsoleSnapshot> snapshots, int count, CancellationToken cancellationToken)
    {
        var taken = new List<ConsoleSnapshot>();
        await foreach (var snapshot in snapshots.WithCancellation(cancellationToken))
        {
            taken.Add(snapshot);
            if (taken.Count == count)
            {
                break;
            }
        }

        return taken;
    }

    public void Dispose()
    {
        _probe.Dispose();
        _producer.Dispose();
        _consumer.Dispose();
        _lifetime.Dispose();
    }

    /// <summary>Answers as the consumer does, serialized with the consumer's own types.</summary>
    private sealed class StandInConsumer : HttpMessageHandler, IHttpClientFactory
    {
        private int _statusPolls;

        public long Processed { get; set; }

        public bool Refuse { get; set; }

        public bool Hang { get; set; }

        public System.Net.HttpStatusCode Status { get; set; } = System.Net.HttpStatusCode.OK;

        public int StatusPolls => Volatile.Read(ref _statusPolls);

        public System.Collections.Concurrent.ConcurrentQueue<HttpRequestMessage> Requests { get; } = new();

        public HttpClient CreateClient(string name) => new(this, disposeHandler: false) { BaseAddress = new Uri("http://consumer") };

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Enqueue(request);
            var path = request.RequestUri!.AbsolutePath;
            if (path == "/status")
            {
                Interlocked.Increment(ref _statusPolls);
            }

            if (Refuse)
            {
                throw new HttpRequestException("Connection refused (consumer:80)");
            }

            if (Hang)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            var json = path switch
            {
                "/status" => JsonSerializer.Serialize(
                    new ConsumerStatus("running", "member-1", Processed, 0, 0, 0, 0, 0, null, null,
                        [new PartitionLag(0, 5, 8, 3), new PartitionLag(1, null, null, null), new PartitionLag(2, 10, 14, 4)]),
                    ConsumerApiJsonContext.Default.ConsumerStatus),
                "/processed/recent" => JsonSerializer.Serialize(
                    new RecentEventsResult([Recent("newest"), Recent("older")]), ConsumerApiJsonContext.Default.RecentEventsResult),
                _ => "{}",
            };
            return new HttpResponseMessage(Status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        }

        private static RecentEvent Recent(string id) => new(id, "order.created", "/register_event", "customer-42", 2, 7,
            new DateTimeOffset(2026, 11, 24, 16, 59, 59, TimeSpan.Zero), new DateTimeOffset(2026, 11, 24, 17, 0, 0, TimeSpan.Zero), """{"n":1}""");
    }

    private sealed class Lifetime : IHostApplicationLifetime, IDisposable
    {
        private readonly CancellationTokenSource _stopping = new();

        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => _stopping.Token;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication() => _stopping.Cancel();

        public void Dispose() => _stopping.Dispose();
    }
}
