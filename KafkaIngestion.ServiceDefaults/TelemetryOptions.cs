using System.ComponentModel.DataAnnotations;

namespace KafkaIngestion.ServiceDefaults;

/// <summary>
/// Telemetry choices every service shares, bound from <c>Telemetry</c>. The defaults suit a
/// service in production: metrics go to OTLP only, and logs carry no event payloads.
/// </summary>
public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>An optional Prometheus scrape endpoint, for teams that run Prometheus and Grafana.</summary>
    public PrometheusOptions Prometheus { get; set; } = new();

    /// <summary>Which requests are traced (unless <c>OTEL_TRACES_SAMPLER</c> is set).</summary>
    public TracingOptions Tracing { get; set; } = new();

    /// <summary>
    /// Debug aid, off by default: log the payload (data) of events that are refused or
    /// dead-lettered, at Debug level. Payloads are the senders' data and may hold personal
    /// information, so they are never logged otherwise.
    /// </summary>
    public bool LogPayloads { get; set; }
}

public sealed class PrometheusOptions
{
    /// <summary>Serves the service's metrics in Prometheus' text format at <see cref="Path"/>.</summary>
    public bool Enabled { get; set; }

    [RegularExpression("^/[A-Za-z0-9/_.-]*$", ErrorMessage = "Telemetry:Prometheus:Path must be an absolute path such as /metrics.")]
    public string Path { get; set; } = "/metrics";
}

public sealed class TracingOptions
{
    /// <summary>
    /// New traces a service starts per second, at most (a burst of as many): every request is
    /// traced while there are few, and tracing costs little under load. Spans with a parent
    /// follow it, so a trace is kept or dropped whole. 0 traces nothing new; a value above the
    /// request rate traces everything.
    /// </summary>
    [Range(0, 1_000_000, ErrorMessage = "Telemetry:Tracing:MaxTracesPerSecond must be between 0 and 1000000.")]
    public int MaxTracesPerSecond { get; set; } = 10;
}
