using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KafkaIngestion.Consumer;

/// <summary>Whether the consume loop is running, and the last error it saw; feeds health and status.</summary>
internal sealed class ConsumerLoopState(TimeProvider timeProvider)
{
    private volatile string _state = "starting";
    private volatile string? _fatalError;
    private volatile string? _lastError;
    private long _consumeErrors;

    public string State => _state;

    public string? LastError => _lastError;

    public long ConsumeErrors => Interlocked.Read(ref _consumeErrors);

    public DateTimeOffset? LastErrorAt { get; private set; }

    public void Running() => _state = "running";

    /// <summary>Consuming, but waiting for the store to accept a batch again.</summary>
    public void Retrying(string error)
    {
        _state = "retrying";
        RecordError(error);
    }

    public void Stopped() => _state = _fatalError is null ? "stopped" : "failed";

    public void Fail(string error)
    {
        _fatalError = error;
        _state = "failed";
        RecordError(error);
    }

    public void RecordError(string error)
    {
        Interlocked.Increment(ref _consumeErrors);
        _lastError = error;
        LastErrorAt = timeProvider.GetUtcNow();
    }

    /// <summary>Unhealthy once the loop has died: the process must be restarted to consume again.</summary>
    internal sealed class HealthCheck(ConsumerLoopState state) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(state.State switch
            {
                "running" => HealthCheckResult.Healthy("consume loop running"),
                "retrying" => HealthCheckResult.Degraded($"waiting for the store: {state.LastError}"),
                "starting" => HealthCheckResult.Degraded("consume loop starting"),
                _ => HealthCheckResult.Unhealthy($"consume loop {state.State}: {state._fatalError}"),
            });
    }
}
