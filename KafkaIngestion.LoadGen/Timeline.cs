using System.Diagnostics;
using HdrHistogram;

namespace KafkaIngestion.LoadGen;

/// <summary>One window of a run: what was answered in it, and how fast.</summary>
/// <param name="AtSeconds">The window's end, from the start of the run.</param>
/// <param name="AcceptedPerSecond">Events accepted per second in the window.</param>
/// <param name="FailedPerSecond">Events per second whose request ended with no acceptance and no rejection (errors, 5xx after retries).</param>
internal sealed record TimelinePoint(double AtSeconds, double AcceptedPerSecond, double FailedPerSecond, double P50, double P99, double Max);

/// <summary>
/// Samples a run window by window, so a long run (a soak) shows whether throughput and latency
/// stayed flat rather than only its totals.
/// </summary>
internal static class Timeline
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(5);

    /// <summary>Samples until <paramref name="done"/> is cancelled, then closes the last, partial window.</summary>
    public static async Task<IReadOnlyList<TimelinePoint>> RecordAsync(RunStats stats, CancellationToken done)
    {
        var points = new List<TimelinePoint>();
        var started = Stopwatch.GetTimestamp();
        var last = (At: started, Accepted: 0L, Unanswered: 0L);
        LongHistogram? window = null;

        void Sample()
        {
            var now = Stopwatch.GetTimestamp();
            var seconds = Stopwatch.GetElapsedTime(last.At, now).TotalSeconds;
            if (seconds <= 0)
            {
                return;
            }

            var accepted = stats.Accepted;
            // Events whose request is over without being accepted or rejected.
            var unanswered = stats.AnsweredEvents - accepted - stats.Rejected;
            window = (LongHistogram)stats.IntervalLatency.GetIntervalHistogram(window);
            var latency = LatencySummary.From(window);
            points.Add(new TimelinePoint(
                Math.Round(Stopwatch.GetElapsedTime(started, now).TotalSeconds, 1),
                Math.Round((accepted - last.Accepted) / seconds, 1),
                Math.Round((unanswered - last.Unanswered) / seconds, 1),
                latency.P50, latency.P99, latency.Max));
            last = (now, accepted, unanswered);
        }

        try
        {
            using var ticks = new PeriodicTimer(Window);
            while (await ticks.WaitForNextTickAsync(done))
            {
                Sample();
            }
        }
        catch (OperationCanceledException) when (done.IsCancellationRequested)
        {
            Sample();
        }

        return points;
    }
}
