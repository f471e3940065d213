using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;

namespace KafkaIngestion.ServiceDefaults.Tracing;

/// <summary>
/// The services' default head sampler and an export queue sized for it. OpenTelemetry's own
/// <c>OTEL_TRACES_SAMPLER</c>(<c>_ARG</c>) wins when set: the SDK reads it only when no sampler
/// was set in code, so ours is set only without it.
/// </summary>
internal static class TraceSampling
{
    private const string SamplerVariable = "OTEL_TRACES_SAMPLER";
    private const string QueueSizeVariable = "OTEL_BSP_MAX_QUEUE_SIZE";

    // SDK default queue; spans one trace makes in one service (request + send, or process) with headroom.
    private const int MinQueueSize = 2048;
    private const int SpansPerTrace = 4;
    private const int MaxQueueSize = 32_768;

    public static void AddTraceSampling(this TracerProviderBuilder tracing, IServiceCollection services, IConfiguration configuration)
    {
        if (!string.IsNullOrEmpty(configuration[SamplerVariable]))
        {
            return;
        }

        tracing.SetSampler(provider => TraceRateSampler.ParentBased(new TraceRateLimiter(
            provider.GetRequiredService<IOptions<TelemetryOptions>>().Value.Tracing.MaxTracesPerSecond,
            provider.GetService<TimeProvider>() ?? TimeProvider.System)));

        if (string.IsNullOrEmpty(configuration[QueueSizeVariable]))
        {
            services.AddOptions<ActivityExportProcessorOptions>().Configure<IOptions<TelemetryOptions>>((export, telemetry) =>
                export.BatchExportProcessorOptions.MaxQueueSize = QueueSize(telemetry.Value.Tracing.MaxTracesPerSecond));
        }
    }

    /// <summary>
    /// Ten seconds of spans at the cap (Aspire exports every second, the SDK every five, and an
    /// export to a busy dashboard takes a while), so none is dropped at the capped rate; batches stay 512.
    /// </summary>
    internal static int QueueSize(int maxTracesPerSecond) =>
        (int)Math.Clamp((long)maxTracesPerSecond * SpansPerTrace * 10, MinQueueSize, MaxQueueSize);
}
