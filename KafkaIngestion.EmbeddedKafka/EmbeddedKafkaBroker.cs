using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace KafkaIngestion.EmbeddedKafka;

/// <summary>A topic to create when the broker starts.</summary>
public readonly record struct KafkaTopic(string Name, int Partitions);

/// <summary>
/// A one-broker Kafka cluster in this process: librdkafka's mock cluster speaking the Kafka
/// protocol on a loopback port. In memory only, and each partition keeps only its newest
/// 5 MiB of record batches (a limit fixed inside librdkafka), so it is for development and tests.
/// </summary>
public sealed partial class EmbeddedKafkaBroker : IAsyncDisposable
{
    private const int BrokerId = 1;

    private readonly nint _client;
    private readonly nint _cluster;
    private readonly TcpForwarder? _forwarder;
    private readonly Lock _stateChange = new();
    private int _disposed;

    private EmbeddedKafkaBroker(nint client, nint cluster, string bootstrapServers, TcpForwarder? forwarder)
    {
        _client = client;
        _cluster = cluster;
        BootstrapServers = bootstrapServers;
        _forwarder = forwarder;
    }

    /// <summary>The broker's own address (a port the OS chose); what services are given.</summary>
    public string BootstrapServers { get; }

    /// <summary>The fixed address for Kafka tools, or null when its port was taken.</summary>
    public string? FixedAddress => _forwarder is null ? null : $"localhost:{_forwarder.Port}";

    public bool IsUp { get; private set; } = true;

    public static EmbeddedKafkaBroker Start(IEnumerable<KafkaTopic> topics, int fixedPort, ILogger logger)
    {
        var client = CreateClientHandle();
        var cluster = LibRdKafka.rd_kafka_mock_cluster_new(client, 1);
        if (cluster == 0)
        {
            LibRdKafka.rd_kafka_destroy(client);
            throw new InvalidOperationException("librdkafka could not create its mock cluster.");
        }

        // Admin clients need a controller to describe the cluster. The group join delay stays at
        // the broker's default (3 s): with none, members that join together never settle on
        // an assignment (measured with two consumer replicas).
        _ = LibRdKafka.rd_kafka_mock_set_controller_id(cluster, BrokerId);

        foreach (var topic in topics)
        {
            var error = LibRdKafka.rd_kafka_mock_topic_create(cluster, topic.Name, topic.Partitions, 1);
            if (error != 0)
            {
                LibRdKafka.rd_kafka_mock_cluster_destroy(cluster);
                LibRdKafka.rd_kafka_destroy(client);
                throw new InvalidOperationException($"The embedded broker could not create topic '{topic.Name}' (librdkafka error {error}).");
            }

            LogTopicCreated(logger, topic.Name, topic.Partitions);
        }

        var bootstrap = Marshal.PtrToStringUTF8(LibRdKafka.rd_kafka_mock_cluster_bootstraps(cluster))
            ?? throw new InvalidOperationException("The mock cluster reported no address.");
        var forwarder = TcpForwarder.TryStart(fixedPort, ParseEndPoint(bootstrap), logger);
        return new EmbeddedKafkaBroker(client, cluster, bootstrap, forwarder);
    }

    /// <summary>Takes the broker off the network, as a crashed broker would be; for fault tests.</summary>
    public void SetDown()
    {
        lock (_stateChange)
        {
            ThrowIfFailed(LibRdKafka.rd_kafka_mock_broker_set_down(_cluster, BrokerId), "take the broker down");
            IsUp = false;
        }
    }

    public void SetUp()
    {
        lock (_stateChange)
        {
            ThrowIfFailed(LibRdKafka.rd_kafka_mock_broker_set_up(_cluster, BrokerId), "bring the broker up");
            IsUp = true;
        }
    }

    /// <summary>
    /// Errors a real cluster answers produce requests with during leader elections, slow disks
    /// and lagging replicas; every one is retriable, and an idempotent producer must ride them out
    /// without losing or duplicating a record. NOT_ENOUGH_REPLICAS_AFTER_APPEND is the sharpest:
    /// the producer cannot tell whether the batch was written, and only idempotence keeps the
    /// resend from being a duplicate.
    /// </summary>
    private const short ProduceApiKey = 0;

    /// <summary>The longest produce-error window: the errors pushed must outlast it.</summary>
    public static readonly TimeSpan MaxProduceErrorWindow = TimeSpan.FromMinutes(1);

    // Far more than the clients send in a minute of failures: librdkafka backs each retry off
    // (up to retry.backoff.max.ms) and waits for a partition's requests in flight before resending.
    private const int InjectedProduceErrors = 100_000;

    private static readonly int[] TransientProduceErrors =
    [
        6,  // NOT_LEADER_OR_FOLLOWER: the partition's leader moved
        7,  // REQUEST_TIMED_OUT
        5,  // LEADER_NOT_AVAILABLE: an election is going on
        19, // NOT_ENOUGH_REPLICAS
        20, // NOT_ENOUGH_REPLICAS_AFTER_APPEND
    ];

    /// <summary>
    /// Makes every produce request (from any client) fail with transient errors, in turn, for
    /// <paramref name="duration"/>; for fault tests. The window ends as a broker failover does:
    /// with the clients' connections reset. That matters because librdkafka's mock checks no
    /// sequence numbers of idempotent producers. A request pipelined behind a failed one would be
    /// appended out of order, where a real broker refuses it (OUT_OF_ORDER_SEQUENCE_NUMBER), and
    /// librdkafka, trusting the broker to have refused it, then reports the failed request's
    /// records persisted ("implicitly acked") though they were never written — or stops with a
    /// fatal idempotence error. Failing every request until the connections are closed means the
    /// pipelined ones fail too, and all of them are sent again in order.
    /// </summary>
    public async Task FailProduceRequestsAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(duration, MaxProduceErrorWindow);
        var errors = Enumerable.Range(0, InjectedProduceErrors).Select(i => TransientProduceErrors[i % TransientProduceErrors.Length]).ToArray();
        LibRdKafka.rd_kafka_mock_push_request_errors_array(_cluster, ProduceApiKey, (nuint)errors.Length, errors);
        try
        {
            await Task.Delay(duration, cancellationToken);
        }
        finally
        {
            lock (_stateChange)
            {
                // While the broker is down no request is answered: none can slip through between
                // the connections closing and the errors being cleared.
                var wasUp = IsUp;
                if (wasUp)
                {
                    SetDown();
                }

                LibRdKafka.rd_kafka_mock_clear_request_errors(_cluster, ProduceApiKey);
                if (wasUp)
                {
                    SetUp();
                }
            }
        }
    }

    private static void ThrowIfFailed(int error, string what)
    {
        if (error != 0)
        {
            throw new InvalidOperationException($"The embedded broker could not {what} (librdkafka error {error}).");
        }
    }

    internal static nint CreateClientHandle()
    {
        // The mock cluster is owned by a client handle; a bare producer that sends nothing.
        var errors = new byte[512];
        var conf = LibRdKafka.rd_kafka_conf_new();
        // log_level 4 (warning): the handle has no bootstrap servers on purpose, which
        // librdkafka would otherwise announce at every start.
        foreach (var (name, value) in new[] { ("client.id", "kafkaingestion-embedded-broker"), ("log_level", "4") })
        {
            if (LibRdKafka.rd_kafka_conf_set(conf, name, value, errors, (nuint)errors.Length) != 0)
            {
                LibRdKafka.rd_kafka_conf_destroy(conf);
                throw new InvalidOperationException(ErrorText(errors));
            }
        }

        var client = LibRdKafka.rd_kafka_new(LibRdKafka.ProducerType, conf, errors, (nuint)errors.Length);
        if (client == 0)
        {
            LibRdKafka.rd_kafka_conf_destroy(conf);
            throw new InvalidOperationException($"librdkafka could not create a client: {ErrorText(errors)}");
        }

        return client;
    }

    private static string ErrorText(byte[] buffer) => Encoding.UTF8.GetString(buffer).TrimEnd('\0');

    private static IPEndPoint ParseEndPoint(string bootstrap)
    {
        var first = bootstrap.Split(',')[0];
        return IPEndPoint.TryParse(first, out var endPoint)
            ? endPoint
            : throw new InvalidOperationException($"Unexpected mock cluster address '{bootstrap}'.");
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (_forwarder is not null)
        {
            await _forwarder.DisposeAsync();
        }

        LibRdKafka.rd_kafka_mock_cluster_destroy(_cluster);
        LibRdKafka.rd_kafka_destroy(_client);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created topic {Topic} with {Partitions} partition(s)")]
    private static partial void LogTopicCreated(ILogger logger, string topic, int partitions);
}
