using Confluent.Kafka;
using KafkaIngestion.ConsumerApi;
using KafkaIngestion.Events;
using Microsoft.AspNetCore.Mvc.Testing;

namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>
/// Events that leave the broker before a group reads them are reported, not hidden. The
/// consumer is hosted in the test process with a group of its own, against the shared broker.
/// </summary>
[Trait("Category", "EndToEnd")]
[Collection(SharedAppHost.Name)]
public sealed class OffsetGapTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task EventsThatLeftTheBrokerBeforeTheGroupReadThemAreCountedAsAGap()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var partition = new TopicPartition("events", 0);

        // More than the embedded broker's 5 MiB per partition: the oldest records are dropped.
        using (var producer = new ProducerBuilder<string?, byte[]>(new ProducerConfig
        {
            BootstrapServers = fixture.KafkaConnectionString,
            CompressionType = CompressionType.None,
        }).Build())
        {
            for (var i = 0; i < 80; i++)
            {
                producer.Produce(partition, CloudEventKafkaBinding.ToMessage(Event($"gap-{Guid.NewGuid():N}", 100_000)));
            }

            producer.Flush(timeout.Token);
        }

        using var probe = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = fixture.KafkaConnectionString, GroupId = "probe" }).Build();
        var low = probe.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10)).Low.Value;
        Assert.True(low > 0, "the broker should have dropped the oldest records of partition 0");

        // A new group starts from the partition's beginning, which is gone.
        var storeDirectory = Path.Combine(Path.GetTempPath(), $"gap-test-{Guid.NewGuid():N}");
        await using (var consumer = new WebApplicationFactory<KafkaIngestion.Consumer.ConsumerOptions>().WithWebHostBuilder(host => host
            .UseSetting("ConnectionStrings:kafka", fixture.KafkaConnectionString)
            .UseSetting("Kafka:Consumer:Config:group.id", $"gap-test-{Guid.NewGuid():N}")
            .UseSetting("Consumer:StorePath", Path.Combine(storeDirectory, "events.db"))))
        {
            using var client = consumer.CreateClient();
            var status = await Waiting.UntilAsync(
                ct => new ConsumerApiClient(client).GetStatusAsync(ct),
                s => s.GapEvents > 0,
                Timeout,
                "the new group to report the gap");

            Assert.True(status.GapEvents >= low, $"at least the {low} dropped records of partition 0 are a gap");
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(storeDirectory, recursive: true);
    }

    private static IngestEvent Event(string id, int dataBytes) =>
        new(id, "test.gap", "urn:test", "gap", DateTimeOffset.UtcNow,
            System.Text.Encoding.UTF8.GetBytes($"\"{new string('x', dataBytes)}\""));
}
