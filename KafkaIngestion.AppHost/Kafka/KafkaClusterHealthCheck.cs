using Confluent.Kafka;
using Confluent.Kafka.Admin;
using KafkaIngestion.ServiceDefaults.Kafka;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KafkaIngestion.AppHost.Kafka;

/// <summary>
/// Healthy once the cluster answers at the address its brokers advertise and every topic the app
/// declared exists; creates missing topics on clusters that allow it. Because services
/// <c>WaitFor(kafka)</c>, none of them starts before its topics are there.
/// </summary>
internal sealed class KafkaClusterHealthCheck(IKafkaResource resource) : IHealthCheck, IDisposable
{
    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(5);

    // librdkafka's default (60 s) would let a request on a connection the broker dropped (a restart,
    // a failover) hold the check unhealthy for a minute, and with it every service that waits for
    // kafka; the consumer uses 10 s for the same reason.
    private const int SocketTimeoutMs = 10_000;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private IAdminClient? _admin;
    private IConsumer<Ignore, Ignore>? _leaderProbe;
    private string? _adminConnectionString;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (resource is EmbeddedKafkaResource { Broker.IsUp: false })
        {
            return HealthCheckResult.Unhealthy("The embedded broker was taken down (dashboard command).");
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            var (admin, leaderProbe) = await GetClientsAsync(cancellationToken);
            var topics = resource.Annotations.OfType<KafkaTopicAnnotation>().ToList();
            var metadata = await Task.Run(() => admin.GetMetadata(MetadataTimeout), cancellationToken);

            var existing = metadata.Topics.Where(t => t.Error.Code == ErrorCode.NoError).Select(t => t.Topic).ToHashSet(StringComparer.Ordinal);
            var missing = topics.Where(t => !existing.Contains(t.Name)).ToList();
            if (missing.Count > 0)
            {
                await CreateTopicsAsync(admin, missing);
                return HealthCheckResult.Unhealthy($"Creating topics: {string.Join(", ", missing.Select(t => t.Name))}");
            }

            if (topics.Count > 0 && await LeaderUnreachableAsync(leaderProbe, topics[0].Name, metadata, cancellationToken) is { } unreachable)
            {
                // A request left in flight on a connection the broker dropped is only given up after
                // socket.timeout.ms: fresh clients for the next check, so a recovered broker is seen at once.
                _adminConnectionString = null;
                return HealthCheckResult.Unhealthy(unreachable);
            }

            return HealthCheckResult.Healthy($"{metadata.Brokers.Count} broker(s) at {Advertised(metadata)}; topics: {string.Join(", ", topics.Select(t => t.Name))}");
        }
        catch (KafkaException ex)
        {
            return HealthCheckResult.Unhealthy($"Kafka did not answer: {ex.Error.Reason}");
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Metadata only proves the bootstrap address answers. Every later request goes to a broker at
    /// the address it advertises, so ask a partition leader for its offsets: a broker advertising
    /// an address clients cannot reach (a container's own port, say) fails here, not in every service.
    /// </summary>
    private static async Task<string?> LeaderUnreachableAsync(IConsumer<Ignore, Ignore> probe, string topic, Metadata metadata, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Run(() => probe.QueryWatermarkOffsets(new TopicPartition(topic, 0), MetadataTimeout), cancellationToken);
            return null;
        }
        catch (KafkaException ex)
        {
            return $"Kafka answered at its bootstrap address, but not at the address its broker advertises ({Advertised(metadata)}): {ex.Error.Reason}. Clients are sent there after bootstrap; check the advertised listeners.";
        }
    }

    private static string Advertised(Metadata metadata) =>
        string.Join(", ", metadata.Brokers.Select(b => $"{b.Host}:{b.Port}"));

    private static async Task CreateTopicsAsync(IAdminClient admin, List<KafkaTopicAnnotation> missing)
    {
        try
        {
            await admin.CreateTopicsAsync(missing.Select(t => new TopicSpecification
            {
                Name = t.Name,
                NumPartitions = t.Partitions,
                ReplicationFactor = -1, // the cluster's default
            }));
        }
        catch (CreateTopicsException ex) when (ex.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
        {
            // Another creator won the race; the next check sees the topics.
        }
    }

    private async Task<(IAdminClient Admin, IConsumer<Ignore, Ignore> LeaderProbe)> GetClientsAsync(CancellationToken cancellationToken)
    {
        var connectionString = await resource.ConnectionStringExpression.GetValueAsync(cancellationToken)
            ?? throw new InvalidOperationException("The Kafka resource has no connection string yet.");
        if (_admin is not null && _leaderProbe is not null && _adminConnectionString == connectionString)
        {
            return (_admin, _leaderProbe);
        }

        _admin?.Dispose();
        _leaderProbe?.Dispose();
        var settings = KafkaConnectionString.Parse(connectionString);
        // The cluster's own settings (below) win over these.
        var config = new AdminClientConfig { SocketTimeoutMs = SocketTimeoutMs };
        var probeConfig = new ConsumerConfig { GroupId = "kafkaingestion-apphost-health", EnableAutoCommit = false, SocketTimeoutMs = SocketTimeoutMs };
        foreach (var (key, value) in settings)
        {
            config.Set(key, value);
            probeConfig.Set(key, value);
        }

        _admin = new AdminClientBuilder(config).SetLogHandler((_, _) => { }).Build();
        // Never subscribes or joins the group: it only asks partition leaders for offsets.
        _leaderProbe = new ConsumerBuilder<Ignore, Ignore>(probeConfig).SetLogHandler((_, _) => { }).Build();
        _adminConnectionString = connectionString;
        return (_admin, _leaderProbe);
    }

    public void Dispose()
    {
        _admin?.Dispose();
        _leaderProbe?.Dispose();
        _gate.Dispose();
    }
}
