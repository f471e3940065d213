using Confluent.Kafka;

namespace KafkaIngestion.ServiceDefaults.Kafka;

/// <summary>The outcome of asking the cluster for its metadata.</summary>
/// <param name="TopicPartitions">The partition count of each topic the metadata named; empty when the cluster was not reached.</param>
public sealed record KafkaBrokerState(bool Reachable, int BrokerCount, string? Error, DateTimeOffset CheckedAt, IReadOnlyDictionary<string, int>? TopicPartitions = null);

/// <summary>
/// Asks the cluster for metadata through an existing client's connections (a dependent admin
/// client opens no sockets of its own). Results are cached briefly so that health probes and
/// status requests arriving together cost one round trip.
/// </summary>
public sealed class KafkaBrokerProbe(Handle clientHandle, TimeSpan timeout, TimeProvider timeProvider) : IDisposable
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(1);

    private readonly Lazy<IAdminClient> _admin = new(() => new DependentAdminClientBuilder(clientHandle).Build());
    private readonly SemaphoreSlim _gate = new(1, 1);
    private KafkaBrokerState? _last;
    private Error? _fatal;

    /// <summary>
    /// The client reported a fatal error (e.g. the idempotent producer lost its sequence): it
    /// will not work again, however reachable the cluster is. From now on every check says so:
    /// readiness fails and so does liveness (<see cref="KafkaClientAliveCheck"/>), so an
    /// orchestrator restarts the service rather than leave it answering 503 forever.
    /// </summary>
    public void RecordFatal(Error error) => Volatile.Write(ref _fatal, error);

    /// <summary>The fatal error the client reported, if any.</summary>
    public Error? Fatal => Volatile.Read(ref _fatal);

    public async Task<KafkaBrokerState> CheckAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _fatal) is { } fatal)
        {
            return new KafkaBrokerState(false, 0, $"the Kafka client failed fatally ({fatal.Code}: {fatal.Reason}); restart the service", timeProvider.GetUtcNow());
        }

        if (IsFresh(_last))
        {
            return _last!;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (IsFresh(_last))
            {
                return _last!;
            }

            // GetMetadata blocks up to the timeout; keep it off the caller's thread.
            _last = await Task.Run(Probe, cancellationToken).ConfigureAwait(false);
            return _last;
        }
        finally
        {
            _gate.Release();
        }
    }

    private KafkaBrokerState Probe()
    {
        try
        {
            var metadata = _admin.Value.GetMetadata(timeout);
            // The same answer names every topic and its partitions: kept for status pages.
            var partitions = metadata.Topics
                .Where(t => t.Error.Code == ErrorCode.NoError)
                .ToDictionary(t => t.Topic, t => t.Partitions.Count, StringComparer.Ordinal);
            return new KafkaBrokerState(metadata.Brokers.Count > 0, metadata.Brokers.Count, null, timeProvider.GetUtcNow(), partitions);
        }
        catch (KafkaException ex)
        {
            return new KafkaBrokerState(false, 0, ex.Error.Reason, timeProvider.GetUtcNow());
        }
    }

    private bool IsFresh(KafkaBrokerState? state) =>
        state is not null && timeProvider.GetUtcNow() - state.CheckedAt < CacheFor;

    public void Dispose()
    {
        if (_admin.IsValueCreated)
        {
            _admin.Value.Dispose();
        }

        _gate.Dispose();
    }
}
