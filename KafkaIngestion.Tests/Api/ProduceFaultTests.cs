using System.Collections.Concurrent;
using Confluent.Kafka;
using KafkaIngestion.Api;
using KafkaIngestion.EmbeddedKafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace KafkaIngestion.Tests.Api;

/// <summary>
/// The API's producer (its own settings: idempotent, acks=all, requests pipelined) against the
/// embedded broker while produce requests fail: every record the producer reports persisted must
/// be in the topic, and the producer must not end in a fatal error. The broker's first way of
/// failing requests (the next N, however they fell) broke both: librdkafka counted records of a
/// failed request as written when a request pipelined behind it succeeded, which a real broker
/// would have refused but librdkafka's mock took (1 to 3 of ~20,000 records lost in 3 of 4 runs).
/// </summary>
[Collection(TimingSensitive.Name)] // sends as fast as it can: alone, it neither slows nor is slowed by the AppHost suites
public sealed class ProduceFaultTests(ITestOutputHelper output)
{
    private const string Topic = "events";
    private const int Partitions = 6;

    [Fact]
    public async Task EveryRecordReportedPersistedDuringInjectedProduceErrorsIsInTheTopic()
    {
        await using var broker = EmbeddedKafkaBroker.Start([new KafkaTopic(Topic, Partitions)], 0, NullLogger.Instance);
        var persisted = new ConcurrentDictionary<string, bool>();
        var notPersisted = 0;
        Error? fatal = null;
        var implicitAcks = new ConcurrentQueue<string>();
        using var producer = Producer(broker.BootstrapServers, error => fatal ??= error, implicitAcks.Enqueue);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));

        // Records go out continuously, so several produce requests per partition are in flight
        // when the errors start and when they end.
        using var stopSending = new CancellationTokenSource();
        var sending = Task.Run(async () =>
        {
            for (var i = 0; !stopSending.IsCancellationRequested; i++)
            {
                var id = $"m-{i:D7}";
                producer.Produce(Topic, new Message<string?, byte[]> { Key = id, Value = System.Text.Encoding.UTF8.GetBytes(id) }, report =>
                {
                    if (report.Error.Code == ErrorCode.NoError && report.Status == PersistenceStatus.Persisted)
                    {
                        persisted[id] = true;
                    }
                    else
                    {
                        Interlocked.Increment(ref notPersisted);
                    }
                });
                if (i % 20 == 0)
                {
                    await Task.Delay(1, CancellationToken.None);
                }
            }
        }, CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(1), timeout.Token);

        // Many short windows: each end is a moment where a request pipelined behind a failed one
        // could be taken.
        for (var window = 0; window < 10; window++)
        {
            await broker.FailProduceRequestsAsync(TimeSpan.FromMilliseconds(150), timeout.Token);
            await Task.Delay(TimeSpan.FromMilliseconds(300), timeout.Token);
        }

        await Task.Delay(TimeSpan.FromSeconds(1), timeout.Token);
        await stopSending.CancelAsync();
        await sending.WaitAsync(timeout.Token);
        producer.Flush(timeout.Token);
        var inTopic = ReadTopic(broker.BootstrapServers, timeout.Token);
        var missing = persisted.Keys.Where(id => !inTopic.Contains(id)).Order(StringComparer.Ordinal).ToList();
        output.WriteLine($"{persisted.Count} reported persisted, {notPersisted} not, {inTopic.Count} in the topic, {missing.Count} missing, fatal: {fatal?.Reason ?? "none"}");

        Assert.Null(fatal);
        Assert.Empty(missing);
        // The sharper sign, seen even when the records it covers happen to be few: with this
        // broker a failed request is never written, so a record acknowledged only implicitly
        // (by a later request's success) is a record the topic does not hold.
        Assert.Empty(implicitAcks);
    }

    private static IProducer<string?, byte[]> Producer(string bootstrapServers, Action<Error> onFatal, Action<string> onImplicitAck)
    {
        // librdkafka's idempotence debug context names every implicit acknowledgement.
        var config = new ProducerConfig { BootstrapServers = bootstrapServers, Debug = "eos" };
        using (var services = new ServiceCollection().AddSingleton(Options.Create(new IngestionOptions { PublishTimeout = TimeSpan.FromSeconds(60) })).BuildServiceProvider())
        {
            EventPublisher.ConfigureProducerDefaults(services, config);
        }

        return new ProducerBuilder<string?, byte[]>(config)
            .SetLogHandler((_, message) =>
            {
                if (message.Message.Contains("implicitly acked", StringComparison.Ordinal))
                {
                    onImplicitAck(message.Message);
                }
            })
            .SetErrorHandler((_, error) =>
            {
                if (error.IsFatal)
                {
                    onFatal(error);
                }
            })
            .Build();
    }

    /// <summary>Every value in the topic, read from the start of each partition to its end.</summary>
    private static HashSet<string> ReadTopic(string bootstrapServers, CancellationToken cancellationToken)
    {
        using var consumer = new ConsumerBuilder<Ignore, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "produce-fault-check",
            EnableAutoCommit = false,
        }).SetLogHandler((_, _) => { }).Build();
        var values = new HashSet<string>(StringComparer.Ordinal);
        var ends = Enumerable.Range(0, Partitions)
            .Select(p => new TopicPartition(Topic, p))
            .ToDictionary(tp => tp.Partition.Value, tp => consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10)).High.Value);
        consumer.Assign(ends.Keys.Select(p => new TopicPartitionOffset(Topic, p, Offset.Beginning)));
        var remaining = ends.Count(e => e.Value > 0);
        while (remaining > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is not { IsPartitionEOF: false } record)
            {
                continue;
            }

            values.Add(System.Text.Encoding.UTF8.GetString(record.Message.Value));
            if (record.Offset.Value == ends[record.Partition.Value] - 1)
            {
                remaining--;
            }
        }

        return values;
    }
}
