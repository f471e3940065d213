using Confluent.Kafka;
using Confluent.Kafka.Admin;
using KafkaIngestion.ServiceDefaults.Kafka;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KafkaIngestion.AppHost.Kafka;

/// <summary>
/// Healthy once the cluster answers and every topic the app declared exists; creates missing
/// topics on clusters that allow it. Because services <c>WaitFor(kafka)</c>, none of them
/// starts before its topics are there.
/// </summary>
internal sealed class KafkaClusterHealthCheck(IKafkaResource resource) : IHealthCheck, IDisposable
{
    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private IAdminClient? _admin;
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
            var admin = await GetAdminClientAsync(cancellationToken);
            var topics = resource.Annotations.OfType<KafkaTopicAnnotation>().ToList();
            var metadata = await Task.Run(() => admin.GetMetadata(MetadataTimeout), cancellationToken);

            var existing = metadata.Topics.Where(t => t.Error.Code == ErrorCode.NoError).Select(t => t.Topic).ToHashSet(StringComparer.Ordinal);
            var missing = topics.Where(t => !existing.Contains(t.Name)).ToList();
            if (missing.Count == 0)
            {
                return HealthCheckResult.Healthy($"{metadata.Brokers.Count} broker(s); topics: {string.Join(", ", topics.Select(t => t.Name))}");
            }

            await CreateTopicsAsync(admin, missing);
            return HealthCheckResult.Unhealthy($"Creating topics: {string.Join(", ", missing.Select(t => t.Name))}");
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

    private async Task<IAdminClient> GetAdminClientAsync(CancellationToken cancellationToken)
    {
        var connectionString = await resource.ConnectionStringExpression.GetValueAsync(cancellationToken)
            ?? throw new InvalidOperationException("The Kafka resource has no connection string yet.");
        if (_admin is not null && _adminConnectionString == connectionString)
        {
            return _admin;
        }

        _admin?.Dispose();
        var config = new AdminClientConfig();
        foreach (var (key, value) in KafkaConnectionString.Parse(connectionString))
        {
            config.Set(key, value);
        }

        _admin = new AdminClientBuilder(config).SetLogHandler((_, _) => { }).Build();
        _adminConnectionString = connectionString;
        return _admin;
    }

    public void Dispose()
    {
        _admin?.Dispose();
        _gate.Dispose();
    }
}
