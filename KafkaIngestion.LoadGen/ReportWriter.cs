using System.Globalization;
using System.Text;
using System.Text.Json;

namespace KafkaIngestion.LoadGen;

/// <summary>Writes a run's report as JSON (for tools) and Markdown (for people), side by side.</summary>
internal static class ReportWriter
{
    /// <returns>The JSON report's path.</returns>
    public static async Task<string> WriteAsync(LoadReport report, string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var stem = Path.Combine(directory, $"loadgen-{report.StartedAt:yyyyMMdd-HHmmss}-{report.RunId}");
        await File.WriteAllTextAsync(stem + ".json", JsonSerializer.Serialize(report, LoadGenJsonContext.Default.LoadReport), cancellationToken);
        await File.WriteAllTextAsync(stem + ".md", Markdown(report), cancellationToken);
        return Path.GetFullPath(stem + ".json");
    }

    public static string Markdown(LoadReport r)
    {
        var md = new StringBuilder();
        void Line(FormattableString text) => md.AppendLine(text.ToString(CultureInfo.InvariantCulture));

        Line($"# Load run {r.RunId}: {(r.Succeeded ? "passed" : "FAILED")}");
        md.AppendLine();
        var compressed = r.Compress == LoadGenOptions.NoCompression ? "" : $", {r.Compress}-compressed";
        Line($"{r.Mode} loop, {(r.Protocol == LoadGenOptions.GrpcProtocol ? "CloudEvent messages over gRPC" : $"{r.Format} events over {r.Protocol}")} in requests of {r.BatchSize}{compressed}, to {r.Target}, started {r.StartedAt:u}{(r.Stopped ? ", stopped before the end" : "")}.");
        md.AppendLine();
        md.AppendLine("| | |").AppendLine("|---|---|");
        Line($"| requests | {r.Requests:N0} in {r.Seconds:F2} s ({r.RequestsPerSecond:N0}/s) |");
        Line($"| events | {r.Events:N0} sent, {r.Accepted:N0} accepted, {r.Rejected:N0} rejected, {r.Failed:N0} failed |");
        if (r.Retries > 0)
        {
            Line($"| retries | {r.Retries:N0} requests sent again with the same ids |");
        }

        Line($"| throughput | {r.EventsPerSecond:N0} accepted events/s |");
        Line($"| body bytes | {r.BodyBytesPerEvent:N1} per event on the wire{compressed} |");
        Line($"| latency (ms) | p50 {r.Latency.P50} · p90 {r.Latency.P90} · p99 {r.Latency.P99} · p99.9 {r.Latency.P999} · max {r.Latency.Max} |");
        Line($"| status codes | {string.Join(", ", r.StatusCodes.Select(s => $"{s.Key}: {s.Value:N0}"))} |");
        if (r.Errors.Count > 0)
        {
            Line($"| errors | {string.Join(", ", r.Errors.Select(e => $"{e.Key}: {e.Value:N0}"))} |");
        }

        if (r.OpenLoop is { } open)
        {
            Line($"| rate | {open.AchievedRate:N0} of {open.TargetRate:N0} events/s asked; furthest behind schedule {open.MaxBehindScheduleMs:F0} ms; {open.LateRequests:N0} requests late |");
            if (!open.RateKept)
            {
                Line($"| **rate not kept** | {open.Why} |");
            }
        }

        if (r.Verification is { } v)
        {
            Line($"| stored | {v.Stored:N0} (checked for {v.WaitedSeconds:F0} s) |");
            Line($"| **lost** | {v.Lost:N0}{(v.LostIds.Count > 0 ? " — first: " + string.Join(", ", v.LostIds.Take(5)) : "")} |");
            Line($"| **duplicated** | {v.Duplicated:N0} |");
            Line($"| accepted → stored (ms) | p50 {v.EndToEnd.P50} · p90 {v.EndToEnd.P90} · p99 {v.EndToEnd.P99} · max {v.EndToEnd.Max} |");
            if (v.ConsumerError is { } error)
            {
                Line($"| consumer error | {error} |");
            }
        }
        else
        {
            md.AppendLine("| verification | off |");
        }

        if (r.Timeline.Count > 1)
        {
            md.AppendLine();
            Line($"## Timeline ({Timeline.Window.TotalSeconds:F0} s windows)");
            md.AppendLine();
            md.AppendLine("| at (s) | accepted/s | failed/s | p50 ms | p99 ms | max ms |").AppendLine("|---:|---:|---:|---:|---:|---:|");
            foreach (var p in r.Timeline)
            {
                Line($"| {p.AtSeconds:F0} | {p.AcceptedPerSecond:N0} | {p.FailedPerSecond:N0} | {p.P50} | {p.P99} | {p.Max} |");
            }
        }

        return md.ToString();
    }
}
