using Confluent.Kafka;
using KafkaIngestion.ConsumerApi;
using KafkaIngestion.Events;
using KafkaIngestion.Tests.ServiceDefaults;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>
/// A store outage longer than max.poll.interval.ms must not cost the consumer its group
/// membership: while the store thread retries, the consume loop pauses its partitions and keeps
/// polling. The consumer is hosted in the test process (so the interval can be short) with a
/// topic and group of its own, against the shared embedded broker.
/// </summary>
[Trait("Category", "EndToEnd")]
[Collection(SharedAppHost.Name)]
public sealed class StoreOutageMembershipTests(AppHostFixture fixture) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    // librdkafka leaves the group when Consume is not called for this long.
    private static readonly TimeSpan MaxPollInterval = TimeSpan.FromSeconds(6);

    // What the consumers hosted here log.
    private readonly CapturedLogs _logs = new();

    // Each test's consumer stores in a directory of its own, removed when the test ends.
    private readonly string _storeDirectory = Path.Combine(Path.GetTempPath(), $"outage-test-{Guid.NewGuid():N}");

    private string StorePath => Path.Combine(_storeDirectory, "events.db");

    [Fact]
    public async Task AStoreOutageLongerThanMaxPollIntervalKeepsTheMembershipAndLosesNoEvent()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var topic = $"outage-{Guid.NewGuid():N}";
        using var producer = new ProducerBuilder<string?, byte[]>(new ProducerConfig { BootstrapServers = fixture.KafkaConnectionString }).Build();

        var before = Produce(producer, topic, "before", 100, timeout.Token);
        // Small batches, so the store queue fills and the loop pauses while records are still in
        // librdkafka's prefetch queue: those must be fetched again on resume.
        await using (var consumer = Consumer(topic,
            ("Kafka:Consumer:Config:max.poll.interval.ms", ((int)MaxPollInterval.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture))))
        {
            using var client = consumer.CreateClient();
            await Waiting.UntilAsync(ct => new ConsumerApiClient(client).GetStatusAsync(ct), s => s.Processed >= before.Count, Timeout,
                "the consumer to store the first events");
            var member = (await new ConsumerApiClient(client).GetStatusAsync(timeout.Token)).Member;
            Assert.False(string.IsNullOrEmpty(member));

            List<string> during;
            var members = new HashSet<string?>();
            await using (await new SqliteStoreUnderTest(StorePath).BeginOutageAsync(timeout.Token))
            {
                during = Produce(producer, topic, "during", 3_000, timeout.Token);
                await Waiting.UntilAsync(ct => new ConsumerApiClient(client).GetStatusAsync(ct), s => s.State == "retrying", Timeout,
                    "the consumer to find the store unavailable");

                // Three times max.poll.interval.ms: without polling, librdkafka would have left the
                // group (member id gone, partitions lost) well before the end.
                var outageEnds = DateTime.UtcNow + 3 * MaxPollInterval;
                while (DateTime.UtcNow < outageEnds)
                {
                    var status = await new ConsumerApiClient(client).GetStatusAsync(timeout.Token);
                    members.Add(status.Member);
                    await Task.Delay(TimeSpan.FromMilliseconds(500), timeout.Token);
                }
            }

            var ids = before.Concat(during).ToList();
            var stored = await Waiting.UntilAsync(ct => Processed(client, ids, ct), times => times.Values.All(t => t == 1), Timeout,
                "every event produced during the outage to be stored");
            Assert.All(ids, id => Assert.Equal(1, stored[id]));

            Assert.Equal([member], members);
            var final = await new ConsumerApiClient(client).GetStatusAsync(timeout.Token);
            Assert.Equal(member, final.Member);
            Assert.Equal("running", final.State);
            // Kept membership means no partition changed hands: nothing was read twice or skipped.
            Assert.Equal(0, final.Duplicates);
            Assert.Equal(0, final.GapEvents);
            Assert.Equal(ids.Count, final.Processed);
        }

    }

    /// <summary>
    /// With cooperative rebalancing a member keeps some partitions through a rebalance. Records
    /// it had read from them but could not store (the store was down, so the revocation gave up
    /// on them) must be read again from the first of them, not skipped.
    /// </summary>
    [Fact]
    public async Task APartialRevocationDuringAStoreOutageReadsTheKeptPartitionsAgainFromTheFirstUnstoredEvent()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var topic = $"coop-{Guid.NewGuid():N}";
        using var producer = new ProducerBuilder<string?, byte[]>(new ProducerConfig { BootstrapServers = fixture.KafkaConnectionString }).Build();

        var partitionOf = await ProduceWithPartitionsAsync(producer, topic, "before", 100);
        await using (var consumer = Consumer(topic, ("Kafka:Consumer:Config:partition.assignment.strategy", "cooperative-sticky")))
        {
            using var client = consumer.CreateClient();
            var assigned = await WaitForTheFirstEventsAsync(client, partitionOf.Count);

            await using var outage = await new SqliteStoreUnderTest(StorePath).BeginOutageAsync(timeout.Token);

            await ProduceDuringAsync(producer, topic, partitionOf);

            await Waiting.UntilAsync(ct => new ConsumerApiClient(client).GetStatusAsync(ct), s => s.State == "retrying", Timeout,
                "the consumer to find the store unavailable");

            // A second member joins and takes some partitions; the first keeps the others. It
            // stores nothing and commits nothing, and keeps polling to stay in the group.
            using var stopOther = new CancellationTokenSource();
            var other = StartOtherMember(topic, stopOther.Token);

            var kept = await WaitForKeptPartitionsAsync(client, assigned);

            await outage.DisposeAsync();

            await AssertEveryEventOfTheKeptPartitionsIsStoredOnceAsync(client, partitionOf, kept);

            await stopOther.CancelAsync();
            await other.WaitAsync(timeout.Token);
        }

    }

    /// <summary>
    /// A store that hangs (here: waiting for a lock for up to 30 s) outlasts the revocation's
    /// drain timeout. The batches still with it may yet fail, so a partition the member keeps is
    /// read again from the first event of theirs, not from the records read after them.
    /// </summary>
    [Fact]
    public async Task ARevocationThatOutwaitsAHungStoreReadsTheKeptPartitionsAgainFromTheFirstEventNotStored()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var topic = $"hung-{Guid.NewGuid():N}";
        // Small record batches, fetched a few at a time per partition: the records in hand when
        // the rebalance comes then span every partition, whichever ones the other member takes.
        using var producer = new ProducerBuilder<string?, byte[]>(new ProducerConfig { BootstrapServers = fixture.KafkaConnectionString, BatchNumMessages = 10 }).Build();

        var partitionOf = await ProduceWithPartitionsAsync(producer, topic, "before", 100);
        // A new topic: the first event after these in each partition has the offset of their count.
        var firstAfterBefore = partitionOf.Values.GroupBy(p => p).ToDictionary(g => g.Key, g => (long)g.Count());
        await using (var consumer = Consumer(topic,
            ("Kafka:Consumer:Config:partition.assignment.strategy", "cooperative-sticky"),
            ("Kafka:Consumer:Config:max.partition.fetch.bytes", "1024"),
            // The longest allowed: the store must still be waiting when the drain gives up on it.
            ("Consumer:StoreBusyTimeout", "00:05:00"),
            ("Consumer:DrainTimeout", "00:00:01")))
        {
            using var client = consumer.CreateClient();
            var assigned = await WaitForTheFirstEventsAsync(client, partitionOf.Count);

            // The lock makes the store wait (up to StoreBusyTimeout), not fail: it hangs.
            await using var hung = await new SqliteStoreUnderTest(StorePath).BeginOutageAsync(timeout.Token);

            await ProduceDuringAsync(producer, topic, partitionOf);

            // The store thread hangs on the lock, the queue behind it fills, and the loop pauses.
            await Waiting.UntilAsync(_ => Task.FromResult(_logs.Containing("paused").Count), paused => paused > 0, Timeout,
                "the consumer to pause behind the hung store");

            using var stopOther = new CancellationTokenSource();
            var other = StartOtherMember(topic, stopOther.Token);
            var kept = await WaitForKeptPartitionsAsync(client, assigned);

            Assert.NotEmpty(_logs.Containing("after the drain timeout"));
            // The first rewind of each partition: the one this rebalance made.
            var rewound = _logs.Containing("reading it again from offset")
                .Select(line => System.Text.RegularExpressions.Regex.Match(line.Message, @"\[\[(\d+)\]\] stays with this member: reading it again from offset (\d+)"))
                .GroupBy(match => int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))
                .ToDictionary(g => g.Key, g => long.Parse(g.First().Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
            // Records of every partition were in hand (small fetches), so every kept partition
            // goes back to its first event after the ones stored before the store hung.
            Assert.True(rewound.Keys.ToHashSet().SetEquals(kept),
                $"Rewound {string.Join(", ", rewound.Keys)}, kept {string.Join(", ", kept)}. The consumer said: "
                + string.Join(" | ", _logs.Lines.Where(l => l.Level >= LogLevel.Information && l.Category.StartsWith("KafkaIngestion", StringComparison.Ordinal)).Select(l => l.Message)));
            Assert.All(rewound, partition => Assert.Equal(firstAfterBefore.GetValueOrDefault(partition.Key), partition.Value));

            await hung.DisposeAsync();

            await AssertEveryEventOfTheKeptPartitionsIsStoredOnceAsync(client, partitionOf, kept);

            await stopOther.CancelAsync();
            await other.WaitAsync(timeout.Token);
        }

    }

    /// <summary>Waits until the consumer stored the first <paramref name="count"/> events; returns how many partitions it owns (two or more, to share).</summary>
    private static async Task<int> WaitForTheFirstEventsAsync(HttpClient client, int count)
    {
        var ready = await Waiting.UntilAsync(ct => new ConsumerApiClient(client).GetStatusAsync(ct), s => s.Processed >= count, Timeout,
            "the consumer to store the first events");
        var assigned = ready.Partitions.Count;
        Assert.True(assigned >= 2, "the auto-created topic needs two partitions or more to share");
        return assigned;
    }

    /// <summary>2,000 more events, added to <paramref name="partitionOf"/>.</summary>
    private static async Task ProduceDuringAsync(IProducer<string?, byte[]> producer, string topic, Dictionary<string, int> partitionOf)
    {
        foreach (var (id, partition) in await ProduceWithPartitionsAsync(producer, topic, "during", 2_000))
        {
            partitionOf[id] = partition;
        }
    }

    /// <summary>The partitions the consumer still owns once a second member took some of its <paramref name="assigned"/>.</summary>
    private static async Task<HashSet<int>> WaitForKeptPartitionsAsync(HttpClient client, int assigned) =>
        (await Waiting.UntilAsync(ct => new ConsumerApiClient(client).GetStatusAsync(ct),
            s => s.Partitions.Count is > 0 and var n && n < assigned, Timeout,
            "the second member to take some of the partitions"))
        .Partitions.Select(p => p.Partition).ToHashSet();

    /// <summary>
    /// While the other member still holds its partitions, every event of the kept ones is stored
    /// once: the ones given up on during the revocation were read again.
    /// </summary>
    private static async Task AssertEveryEventOfTheKeptPartitionsIsStoredOnceAsync(HttpClient client, Dictionary<string, int> partitionOf, HashSet<int> kept)
    {
        var ofKept = partitionOf.Where(p => kept.Contains(p.Value)).Select(p => p.Key).ToList();
        Assert.NotEmpty(ofKept);
        var stored = await Waiting.UntilAsync(ct => Processed(client, ofKept, ct), times => times.Values.All(t => t == 1), TimeSpan.FromSeconds(60),
            $"every event of the kept partitions {string.Join(", ", kept)} to be stored");
        Assert.All(ofKept, id => Assert.Equal(1, stored[id]));
    }

    /// <summary>
    /// A second member of <paramref name="group"/> that takes its share of the partitions and
    /// stores and commits nothing, polling until stopped.
    /// </summary>
    private Task StartOtherMember(string group, CancellationToken stop) => Task.Factory.StartNew(() =>
    {
        using var member = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = fixture.KafkaConnectionString,
            GroupId = group,
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
            EnableAutoCommit = false,
            SessionTimeoutMs = 6000,
            HeartbeatIntervalMs = 1000,
        }).Build();
        member.Subscribe(group);
        while (!stop.IsCancellationRequested)
        {
            member.Consume(TimeSpan.FromMilliseconds(100));
        }

        member.Close();
    }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>
    /// The consumer hosted in the test process, on a topic and group of its own: short group
    /// timeouts, a store that gives up on a lock after a second, batches of 200.
    /// </summary>
    private WebApplicationFactory<KafkaIngestion.Consumer.ConsumerOptions> Consumer(string topic, params (string Key, string Value)[] settings) =>
        new WebApplicationFactory<KafkaIngestion.Consumer.ConsumerOptions>().WithWebHostBuilder(host =>
        {
            host.UseSetting("ConnectionStrings:kafka", fixture.KafkaConnectionString)
                .UseSetting("Kafka:Consumer:Config:group.id", topic)
                .UseSetting("Kafka:Consumer:Config:session.timeout.ms", "6000")
                .UseSetting("Kafka:Consumer:Config:heartbeat.interval.ms", "1000")
                .UseSetting("Consumer:Topic", topic)
                .UseSetting("Consumer:StorePath", StorePath)
                .UseSetting("Consumer:StoreBusyTimeout", "00:00:01")
                .UseSetting("Consumer:MaxRetryDelay", "00:00:00.500")
                .UseSetting("Consumer:BatchSize", "200")
                .ConfigureServices(services => services.AddLogging(logging => logging.AddProvider(_logs)));
            foreach (var (key, value) in settings)
            {
                host.UseSetting(key, value);
            }
        });

    private static async Task<Dictionary<string, int>> ProduceWithPartitionsAsync(IProducer<string?, byte[]> producer, string topic, string prefix, int count)
    {
        var sends = Enumerable.Range(0, count).Select(async i =>
        {
            var id = $"{prefix}-{Guid.NewGuid():N}";
            var result = await producer.ProduceAsync(topic, CloudEventKafkaBinding.ToMessage(
                new IngestEvent(id, "test.coop", "urn:test", $"key-{i % 16}", DateTimeOffset.UtcNow, "{}"u8.ToArray())));
            return (id, result.Partition.Value);
        });
        return (await Task.WhenAll(sends)).ToDictionary(r => r.id, r => r.Value);
    }

    private static List<string> Produce(IProducer<string?, byte[]> producer, string topic, string prefix, int count, CancellationToken cancellationToken)
    {
        var ids = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var id = $"{prefix}-{Guid.NewGuid():N}";
            ids.Add(id);
            producer.Produce(topic, CloudEventKafkaBinding.ToMessage(new IngestEvent(id, "test.outage", "urn:test", $"key-{i % 16}", DateTimeOffset.UtcNow, "{}"u8.ToArray())));
        }

        producer.Flush(cancellationToken);
        return ids;
    }

    private static async Task<IReadOnlyDictionary<string, int>> Processed(HttpClient client, List<string> ids, CancellationToken cancellationToken) =>
        (await new ConsumerApiClient(client).QueryProcessedAsync(ids, includeDelays: false, cancellationToken)).TimesProcessed;

    public void Dispose()
    {
        _logs.Dispose();
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_storeDirectory))
        {
            Directory.Delete(_storeDirectory, recursive: true);
        }
    }
}
