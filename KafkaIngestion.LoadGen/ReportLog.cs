namespace KafkaIngestion.LoadGen;

/// <summary>The run's report as structured log lines, so the dashboard shows it as fields.</summary>
internal static partial class ReportLog
{
    public static void Write(ILogger logger, LoadReport report, string path)
    {
        Summary(logger, report.RunId, report.Succeeded ? "passed" : "FAILED", report.Events, report.Accepted, report.Rejected, report.Failed,
            report.Seconds, report.EventsPerSecond);
        if (report.Retries > 0)
        {
            Retried(logger, report.Retries);
        }

        Latency(logger, report.Latency.P50, report.Latency.P90, report.Latency.P99, report.Latency.P999, report.Latency.Max);
        foreach (var (code, count) in report.StatusCodes)
        {
            Status(logger, code, count);
        }

        foreach (var (kind, count) in report.Errors)
        {
            Error(logger, kind, count);
        }

        if (report.OpenLoop is { } open)
        {
            Rate(logger, open.AchievedRate, open.TargetRate, open.RateKept ? "kept" : "NOT kept: " + open.Why);
        }

        if (report.Verification is { } v)
        {
            Verification(logger, v.Stored, v.Lost, v.Duplicated, v.EndToEnd.P50, v.EndToEnd.P99, v.EndToEnd.Max);
        }

        Written(logger, path);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "Run {RunId} {Outcome}: {Events} events sent, {Accepted} accepted, {Rejected} rejected, {Failed} failed in {Seconds:F2} s ({EventsPerSecond:F0} events/s)")]
    private static partial void Summary(ILogger logger, string runId, string outcome, long events, long accepted, long rejected, long failed, double seconds, double eventsPerSecond);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Latency ms: p50 {P50} p90 {P90} p99 {P99} p99.9 {P999} max {Max}")]
    private static partial void Latency(ILogger logger, double p50, double p90, double p99, double p999, double max);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "HTTP {StatusCode}: {Count}")]
    private static partial void Status(ILogger logger, string statusCode, long count);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Transport errors {Kind}: {Count}")]
    private static partial void Error(ILogger logger, string kind, long count);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Open loop: {Achieved:F0} of {Target:F0} events/s, rate {RateKept}")]
    private static partial void Rate(ILogger logger, double achieved, double target, string rateKept);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information,
        Message = "Verified: {Stored} stored, {Lost} lost, {Duplicated} duplicated; accepted to stored ms p50 {P50} p99 {P99} max {Max}")]
    private static partial void Verification(ILogger logger, long stored, long lost, long duplicated, double p50, double p99, double max);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "{Retries} requests sent again with the same event ids")]
    private static partial void Retried(ILogger logger, long retries);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Report written to {Path} (and .md)")]
    private static partial void Written(ILogger logger, string path);
}
