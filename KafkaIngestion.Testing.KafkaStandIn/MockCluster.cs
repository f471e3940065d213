using System.Net;
using System.Runtime.InteropServices;
using KafkaIngestion.EmbeddedKafka;

namespace KafkaIngestion.Testing.KafkaStandIn;

/// <summary>
/// librdkafka's mock cluster with one broker, which is also the controller (as in
/// <see cref="EmbeddedKafkaBroker"/>). It listens on a loopback port the OS picks; the listeners
/// of the stand-in relay to it.
/// </summary>
internal sealed class MockCluster : IDisposable
{
    public const int BrokerId = 1;

    private readonly nint _client;
    private readonly nint _cluster;
    private int _disposed;

    private MockCluster(nint client, nint cluster, IPEndPoint broker)
    {
        _client = client;
        _cluster = cluster;
        Broker = broker;
    }

    /// <summary>The mock broker's own loopback address.</summary>
    public IPEndPoint Broker { get; }

    public static MockCluster Start()
    {
        var client = EmbeddedKafkaBroker.CreateClientHandle();
        var cluster = LibRdKafka.rd_kafka_mock_cluster_new(client, 1);
        if (cluster == 0)
        {
            LibRdKafka.rd_kafka_destroy(client);
            throw new InvalidOperationException("librdkafka could not create its mock cluster.");
        }

        // Admin clients need a controller (DescribeCluster, CreateTopics go to it).
        _ = LibRdKafka.rd_kafka_mock_set_controller_id(cluster, BrokerId);
        var bootstrap = Marshal.PtrToStringUTF8(LibRdKafka.rd_kafka_mock_cluster_bootstraps(cluster)) ?? "";
        if (!IPEndPoint.TryParse(bootstrap.Split(',')[0], out var broker))
        {
            LibRdKafka.rd_kafka_mock_cluster_destroy(cluster);
            LibRdKafka.rd_kafka_destroy(client);
            throw new InvalidOperationException($"Unexpected mock cluster address '{bootstrap}'.");
        }

        return new MockCluster(client, cluster, broker);
    }

    /// <summary>The address the mock itself puts in Metadata and FindCoordinator answers.</summary>
    public void SetAdvertisedAddress(string host, int port) =>
        LibRdKafka.rd_kafka_mock_broker_set_host_port(_cluster, BrokerId, host, port);

    /// <returns>A Kafka error code: 0, or 36 (TOPIC_ALREADY_EXISTS), or another on failure.</returns>
    public short CreateTopic(string name, int partitions, int replicationFactor) =>
        (short)LibRdKafka.rd_kafka_mock_topic_create(_cluster, name, partitions, replicationFactor);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            LibRdKafka.rd_kafka_mock_cluster_destroy(_cluster);
            LibRdKafka.rd_kafka_destroy(_client);
        }
    }
}
