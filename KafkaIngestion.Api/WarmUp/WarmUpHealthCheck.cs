using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KafkaIngestion.Api.WarmUp;

/// <summary>Not ready while the warm-up runs: load balancers and the AppHost wait for it.</summary>
internal sealed class WarmUpHealthCheck(WarmUpState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state.IsDone
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"Warming up: {state.RequestsSent} requests through the API's own HTTP stack so far."));
}
