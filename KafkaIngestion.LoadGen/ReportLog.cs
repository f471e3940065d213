namespace KafkaIngestion.LoadGen;

/// <summary>The run's report as structured log lines, so the dashboard shows it as fields.</summary>
internal static partial class ReportLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "Run {RunId} done: {Sent} sent, {Accepted} accepted, {Rejected} rejected, {Failed} failed in {Seconds:F2} s ({EventsPerSecond:F0} events/s)")]
    public static partial void Summary(ILogger logger, string runId, int sent, int accepted, int rejected, int failed, double seconds, double eventsPerSecond);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information,
        Message = "Latency ms: p50 {P50} p90 {P90} p99 {P99} p99.9 {P999} max {Max}")]
    public static partial void Latency(ILogger logger, double p50, double p90, double p99, double p999, double max);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "HTTP {StatusCode}: {Count}")]
    public static partial void Status(ILogger logger, int statusCode, int count);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Transport errors {Kind}: {Count}")]
    public static partial void Error(ILogger logger, string kind, int count);
}
