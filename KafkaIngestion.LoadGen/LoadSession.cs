using KafkaIngestion.ConsumerApi;

namespace KafkaIngestion.LoadGen;

/// <summary>
/// One run from start to report: send (with live progress), verify with the consumer, write the
/// JSON and Markdown reports, log the summary. Used by the terminal and by the dashboard's commands.
/// </summary>
internal sealed partial class LoadSession(LoadRunner runner, Verifier verifier, ILogger<LoadSession> logger)
{
    /// <summary>Random, not time-ordered: two runs started in the same millisecond must not share ids.</summary>
    public static string NewRunId() => Guid.NewGuid().ToString("N")[..12];

    public async Task<LoadReport> RunAsync(LoadGenOptions settings, string runId, RunStats stats, bool terminal, CancellationToken stop)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var events = new EventFactory(runId, settings);
        LogRun(logger, runId);

        SendResult sent;
        IReadOnlyList<TimelinePoint> timeline;
        using (var sending = new CancellationTokenSource())
        {
            var progress = Progress.ShowAsync(settings, runId, stats, terminal, logger, sending.Token);
            var sampling = Timeline.RecordAsync(stats, sending.Token);
            try
            {
                sent = await runner.SendAsync(settings, events, stats, stop);
            }
            finally
            {
                await sending.CancelAsync();
                await progress;
                timeline = await sampling;
            }
        }

        VerificationReport? verification = null;
        if (settings.Verify && !stop.IsCancellationRequested)
        {
            using var consumer = new HttpClient { BaseAddress = await runner.ResolveServiceAsync(settings.ConsumerUrl, stop) };
            try
            {
                verification = await verifier.VerifyAsync(new ConsumerApiClient(consumer), [.. stats.AcceptedIds], settings.VerifyTimeout, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Stopped while verifying: the report says sending results only.
            }
        }

        var report = new LoadReport(
            runId, settings.Mode, settings.Format, settings.BatchSize, settings.Compress, (settings.UsesHttp2Endpoint ? settings.GrpcTargetUrl : settings.TargetUrl).ToString(),
            startedAt, Math.Round(sent.Seconds, 3),
            stats.Requests, stats.Events, stats.Accepted, stats.Rejected, stats.Events - stats.Accepted - stats.Rejected, stats.Retries,
            Math.Round(stats.Accepted / Math.Max(sent.Seconds, 1e-9), 1), Math.Round(stats.Requests / Math.Max(sent.Seconds, 1e-9), 1),
            Math.Round(stats.BodyBytes / (double)Math.Max(stats.Events, 1), 1), LatencySummary.From(stats.Latency), stats.StatusCodes, stats.Errors, sent.OpenLoop, verification, sent.Stopped, timeline,
            settings.Protocol == LoadGenOptions.GrpcProtocol ? LoadGenOptions.GrpcProtocol : settings.Http2 ? "h2c" : LoadGenOptions.HttpProtocol);

        var path = await ReportWriter.WriteAsync(report, settings.ReportDirectory, CancellationToken.None);
        ReportLog.Write(logger, report, path);
        return report;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} starting")]
    private static partial void LogRun(ILogger logger, string runId);
}
