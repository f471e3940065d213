using Confluent.Kafka;
using KafkaIngestion.Api;
using KafkaIngestion.EmbeddedKafka;
using KafkaIngestion.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Tests.Api;

/// <summary>
/// The publisher's answers when the broker cannot take an event, with a real Confluent producer
/// (its size check and its timers are what is under test) and no broker behind it.
/// </summary>
public sealed class EventPublisherTests
{
    // Nothing listens here: the producer keeps every record until its own message timeout.
    private const string UnreachableBroker = "127.0.0.1:1";

    [Fact]
    public async Task ARecordOverTheProducersSizeLimitIsReportedTooLargeNotAsAnOutage()
    {
        var settings = new IngestionOptions { PublishTimeout = TimeSpan.FromSeconds(30) };
        using var producer = Producer(settings, messageMaxBytes: 2_000, messageTimeout: TimeSpan.FromSeconds(30));
        var (publisher, counters) = Publisher(producer, settings);

        var outcomes = await publisher.PublishAsync([Event(new byte[4_000])], CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(10));

        var outcome = Assert.Single(outcomes);
        Assert.False(outcome.Stored);
        Assert.True(outcome.TooLarge, $"{outcome.Error}: {outcome.Reason}");
        Assert.Equal(1, counters.Rejected[RejectionReasons.RecordTooLarge]);
        Assert.Empty(counters.Failed);
        Assert.Equal(0, counters.InFlight);
    }

    [Fact]
    public async Task TheAnswerComesSoonAfterThePublishTimeoutEvenWhenTheProducerWouldHoldTheRecordsLonger()
    {
        // The producer would hold the records for a minute; the API waits half a second (and a
        // second's grace) for its verdict, then answers by itself.
        var settings = new IngestionOptions { PublishTimeout = TimeSpan.FromMilliseconds(500) };
        using var producer = Producer(settings, messageMaxBytes: 1_000_000, messageTimeout: TimeSpan.FromMinutes(1));
        var (publisher, counters) = Publisher(producer, settings);

        var outcomes = await publisher.PublishAsync([Event([1]), Event([2]), Event([3])], CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(3, outcomes.Length);
        Assert.All(outcomes, o =>
        {
            Assert.False(o.Stored);
            Assert.False(o.TooLarge);
            Assert.Equal(ErrorCode.Local_MsgTimedOut, o.Error);
        });
        Assert.Equal(3, counters.Failed[nameof(ErrorCode.Local_MsgTimedOut)]);
        Assert.Equal(0, counters.InFlight);
    }

    [Fact]
    public async Task InStructuredModeEachRecordTheBrokerStoredIsTheWholeEventAsJson()
    {
        await using var broker = EmbeddedKafkaBroker.Start([new KafkaTopic("events", 1)], 0, NullLogger.Instance);
        var settings = new IngestionOptions { KafkaContentMode = KafkaContentMode.Structured };
        using var producer = Producer(settings, messageMaxBytes: 1_000_000, messageTimeout: TimeSpan.FromSeconds(30), broker.BootstrapServers);
        var (publisher, _) = Publisher(producer, settings);
        IngestEvent[] events = [Event("""{"n":1}"""u8.ToArray()), Event("""{"n":2}"""u8.ToArray())];

        var outcomes = await publisher.PublishAsync(events, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.All(outcomes, o => Assert.True(o.Stored, o.Reason));
        using var consumer = new ConsumerBuilder<string?, byte[]>(new ConsumerConfig { BootstrapServers = broker.BootstrapServers, GroupId = "test-read" }).Build();
        for (var i = 0; i < events.Length; i++)
        {
            consumer.Assign(new TopicPartitionOffset("events", outcomes[i].Partition, outcomes[i].Offset));
            var record = consumer.Consume(TimeSpan.FromSeconds(10));
            Assert.NotNull(record);
            Assert.True(record.Message.Headers.TryGetLastBytes("content-type", out var contentType));
            Assert.Equal(CloudEventKafkaBinding.StructuredContentType, System.Text.Encoding.UTF8.GetString(contentType));
            Assert.True(CloudEventKafkaBinding.TryRead(record.Message, out var read, out var error), error);
            Assert.Equal(events[i].Id, read!.Id);
            Assert.Equal(events[i].Data, read.Data);
        }
    }

    private static IngestEvent Event(byte[] data) =>
        new(Guid.CreateVersion7().ToString(), "test.event", "/tests", "key", DateTimeOffset.UtcNow, data);

    private static IProducer<string?, byte[]> Producer(IngestionOptions settings, int messageMaxBytes, TimeSpan messageTimeout, string bootstrap = UnreachableBroker)
    {
        var config = new ProducerConfig { BootstrapServers = bootstrap };
        using (var services = new ServiceCollection().AddSingleton(Options.Create(settings)).BuildServiceProvider())
        {
            EventPublisher.ConfigureProducerDefaults(services, config);
        }

        config.MessageMaxBytes = messageMaxBytes;
        config.MessageTimeoutMs = (int)messageTimeout.TotalMilliseconds;
        return new ProducerBuilder<string?, byte[]>(config).SetLogHandler((_, _) => { }).Build();
    }

    private static (EventPublisher Publisher, IngestionCounters Counters) Publisher(IProducer<string?, byte[]> producer, IngestionOptions settings)
    {
        var services = new ServiceCollection()
            .AddMetrics()
            .AddSingleton(TimeProvider.System)
            .AddSingleton<IngestionCounters>()
            .AddSingleton<IngestionMetrics>()
            .BuildServiceProvider();
        var counters = services.GetRequiredService<IngestionCounters>();
        var options = Options.Create(settings);
        var publisher = new EventPublisher(producer, options, counters, new IngestionAnswers(counters, options), services.GetRequiredService<IngestionMetrics>(),
            TimeProvider.System, NullLogger<EventPublisher>.Instance);
        return (publisher, counters);
    }
}
