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
