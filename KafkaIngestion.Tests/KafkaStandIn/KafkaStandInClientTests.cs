using Confluent.Kafka;
using Confluent.Kafka.Admin;
using KafkaIngestion.Testing.KafkaStandIn;
using KafkaIngestion.Testing.KafkaStandIn.Configuration;
using KafkaIngestion.Tests.ServiceDefaults;

namespace KafkaIngestion.Tests.KafkaStandIn;

/// <summary>
/// The stand-in in-process, driven by real Confluent.Kafka clients on loopback. Listener A
/// advertises its own address; listener B advertises a port nothing listens on, as a wrong
/// KAFKA_ADVERTISED_LISTENERS would, and must fail clients the way real Kafka fails them.
/// </summary>
public sealed class KafkaStandInClientTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly CapturedLogs _logs = new();
    private readonly int _portA = FreePort();
    private readonly int _portB = FreePort();
    private readonly int _nowhere = FreePort();
    private StandInHost? _host;

    private string BootstrapA => $"127.0.0.1:{_portA}";

    private string BootstrapB => $"127.0.0.1:{_portB}";

    public async Task InitializeAsync()
    {
        var configuration = StandInConfiguration.Parse(
            new Dictionary<string, string>
            {
                ["KAFKA_LISTENERS"] = $"A://127.0.0.1:{_portA},B://127.0.0.1:{_portB}",
                ["KAFKA_ADVERTISED_LISTENERS"] = $"A://127.0.0.1:{_portA},B://127.0.0.1:{_nowhere}",
                ["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"] = "A:PLAINTEXT,B:PLAINTEXT",
                ["KAFKA_NUM_PARTITIONS"] = "2",
            },
            "localhost");
        _host = await StandInHost.StartAsync(configuration, _logs.CreateLogger("KafkaStandIn"));
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Fact]
    public void It_says_it_is_a_test_double()
    {
        Assert.Single(_logs.Containing("test double of the apache/kafka image's configuration contract: librdkafka mock cluster, in memory"));
        Assert.Single(_logs.Containing($"advertises 127.0.0.1:{_nowhere}"));
    }

    [Fact]
    public async Task A_record_produced_through_A_is_consumed_back()
    {
        using var cancellation = new CancellationTokenSource(Patience);
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = BootstrapA, Acks = Acks.All, EnableIdempotence = true, MessageTimeoutMs = 10_000,
        }).Build();
        var delivered = await producer.ProduceAsync("greetings", new Message<string, string> { Key = "k", Value = "hello" }, cancellation.Token);

        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = BootstrapA, GroupId = "reader" }).Build();
        consumer.Assign(new TopicPartitionOffset(delivered.TopicPartition, Offset.Beginning));
        var record = consumer.Consume(cancellation.Token);

        Assert.Equal(("k", "hello"), (record.Message.Key, record.Message.Value));
        // Auto-created by the producer's metadata request, with KAFKA_NUM_PARTITIONS partitions.
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = BootstrapA }).Build();
        Assert.Equal(2, admin.GetMetadata("greetings", Patience).Topics.Single().Partitions.Count);
    }

    [Fact]
    public async Task CreateTopicsAsync_creates_topics_and_refuses_existing_ones()
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = BootstrapA }).Build();
        var options = new CreateTopicsOptions { RequestTimeout = Patience, OperationTimeout = Patience };

        await admin.CreateTopicsAsync([new TopicSpecification { Name = "three", NumPartitions = 3, ReplicationFactor = -1 }], options);
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "defaulted", NumPartitions = -1, ReplicationFactor = -1 }], options);
        var again = await Assert.ThrowsAsync<CreateTopicsException>(() =>
            admin.CreateTopicsAsync([new TopicSpecification { Name = "three", NumPartitions = 3, ReplicationFactor = 1 }], options));
        var tooManyReplicas = await Assert.ThrowsAsync<CreateTopicsException>(() =>
            admin.CreateTopicsAsync([new TopicSpecification { Name = "replicated", NumPartitions = 1, ReplicationFactor = 3 }], options));

        var metadata = admin.GetMetadata(Patience);
        Assert.Equal(3, metadata.Topics.Single(t => t.Topic == "three").Partitions.Count);
        Assert.Equal(2, metadata.Topics.Single(t => t.Topic == "defaulted").Partitions.Count);
        Assert.Equal(ErrorCode.TopicAlreadyExists, Assert.Single(again.Results).Error.Code);
        Assert.Equal(ErrorCode.InvalidReplicationFactor, Assert.Single(tooManyReplicas.Results).Error.Code);
        Assert.DoesNotContain(metadata.Topics, t => t.Topic == "replicated");
    }

    [Fact]
    public async Task Validate_only_creates_nothing()
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = BootstrapA }).Build();

        await admin.CreateTopicsAsync([new TopicSpecification { Name = "dry-run", NumPartitions = 3, ReplicationFactor = 1 }],
            new CreateTopicsOptions { ValidateOnly = true, RequestTimeout = Patience });

        Assert.DoesNotContain(admin.GetMetadata(Patience).Topics, t => t.Topic == "dry-run");
    }

    [Fact]
    public async Task A_producer_bootstrapped_on_B_is_sent_to_Bs_advertised_address_and_fails()
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = BootstrapB }).Build();
        Assert.Equal($"127.0.0.1:{_nowhere}", $"{admin.GetMetadata(Patience).Brokers.Single().Host}:{admin.GetMetadata(Patience).Brokers.Single().Port}");

        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = BootstrapB, MessageTimeoutMs = 2_000 }).Build();
        var failure = await Assert.ThrowsAsync<ProduceException<Null, string>>(() =>
            producer.ProduceAsync("lost", new Message<Null, string> { Value = "x" }).WaitAsync(Patience));

        Assert.Equal(ErrorCode.Local_MsgTimedOut, failure.Error.Code);
    }

    [Fact]
    public async Task A_consumer_group_on_A_finds_its_coordinator_and_commits()
    {
        using var cancellation = new CancellationTokenSource(Patience);
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = BootstrapA, MessageTimeoutMs = 10_000 }).Build();
        await producer.ProduceAsync("grouped", new Message<Null, string> { Value = "one" }, cancellation.Token);

        var config = new ConsumerConfig
        {
            BootstrapServers = BootstrapA, GroupId = "group-a", AutoOffsetReset = AutoOffsetReset.Earliest, EnableAutoCommit = false,
        };
        using (var consumer = new ConsumerBuilder<Ignore, string>(config).Build())
        {
            consumer.Subscribe("grouped");
            var record = consumer.Consume(cancellation.Token);
            consumer.Commit(record);
            Assert.Equal("one", record.Message.Value);
            consumer.Close();
        }

        using var checker = new ConsumerBuilder<Ignore, string>(config).Build();
        var committed = checker.Committed([new TopicPartition("grouped", 0), new TopicPartition("grouped", 1)], Patience);
        Assert.Equal(1, committed.Sum(c => c.Offset.Value > 0 ? c.Offset.Value : 0));
    }

    public void Dispose() => _logs.Dispose();

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
