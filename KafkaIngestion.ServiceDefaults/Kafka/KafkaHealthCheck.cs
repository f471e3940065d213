using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KafkaIngestion.ServiceDefaults.Kafka;

/// <summary>Healthy while the client can read cluster metadata.</summary>
internal sealed class KafkaHealthCheck(KafkaBrokerProbe probe) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var state = await probe.CheckAsync(cancellationToken).ConfigureAwait(false);
        return state.Reachable
            ? HealthCheckResult.Healthy($"{state.BrokerCount} broker(s) reachable")
            : new HealthCheckResult(context.Registration.FailureStatus, $"Kafka unreachable: {state.Error}");
    }
}

/// <summary>
/// A liveness check: unhealthy only once the client failed fatally, which only a restart cures.
/// An unreachable cluster leaves it healthy: restarting the service would not bring Kafka back.
/// </summary>
internal sealed class KafkaClientAliveCheck(KafkaBrokerProbe probe) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(probe.Fatal is { } fatal
            ? HealthCheckResult.Unhealthy($"The Kafka client failed fatally ({fatal.Code}: {fatal.Reason}); only a restart recovers it.")
            : HealthCheckResult.Healthy());
}
