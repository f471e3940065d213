using HdrHistogram;

namespace KafkaIngestion.LoadGen;

/// <summary>The outcome of one run.</summary>
internal sealed record LoadReport(
    string RunId,
    int Sent,
    int Accepted,
    int Rejected,
    int Failed,
    TimeSpan Elapsed,
    LatencySummary Latency,
    IReadOnlyDictionary<int, int> StatusCodes,
    IReadOnlyDictionary<string, int> Errors)
{
    public double EventsPerSecond => Elapsed > TimeSpan.Zero ? Accepted / Elapsed.TotalSeconds : 0;

    public bool Succeeded => Accepted == Sent;
}

/// <summary>Request latency percentiles in milliseconds.</summary>
internal sealed record LatencySummary(double P50, double P90, double P99, double P999, double Max)
{
    /// <param name="histogram">Latencies recorded in microseconds.</param>
    public static LatencySummary From(HistogramBase histogram)
    {
        if (histogram.TotalCount == 0)
        {
            return new LatencySummary(0, 0, 0, 0, 0);
        }

        static double Ms(long microseconds) => Math.Round(microseconds / 1000.0, 2);
        return new LatencySummary(
            Ms(histogram.GetValueAtPercentile(50)),
            Ms(histogram.GetValueAtPercentile(90)),
            Ms(histogram.GetValueAtPercentile(99)),
            Ms(histogram.GetValueAtPercentile(99.9)),
            Ms(histogram.GetMaxValue()));
    }
}
