using System.Text.Json;
using System.Text.Json.Serialization;
using HdrHistogram;

namespace KafkaIngestion.LoadGen;

/// <summary>The outcome of one run: what was sent and answered, and (when verified) what was stored.</summary>
/// <param name="Compress">The content coding of every request body, or <c>none</c>.</param>
/// <param name="BodyBytesPerEvent">Request body bytes on the wire per event sent (headers not counted).</param>
/// <remarks>
/// Events are counted once each: <c>Accepted + Rejected + Failed = Events</c>, by the last answer
/// for them (after any retries). <c>StatusCodes</c> and <c>Errors</c> count every attempt.
/// </remarks>
internal sealed record LoadReport(
    string RunId,
    string Mode,
    string Format,
    int BatchSize,
    string Compress,
    string Target,
    DateTimeOffset StartedAt,
    double Seconds,
    long Requests,
    long Events,
    long Accepted,
    long Rejected,
    long Failed,
    long Retries,
    double EventsPerSecond,
    double RequestsPerSecond,
    double BodyBytesPerEvent,
    LatencySummary Latency,
    IReadOnlyDictionary<string, long> StatusCodes,
    IReadOnlyDictionary<string, long> Errors,
    OpenLoopReport? OpenLoop,
    VerificationReport? Verification,
    bool Stopped,
    IReadOnlyList<TimelinePoint> Timeline,
    string Protocol = LoadGenOptions.HttpProtocol)
{
    /// <summary>Every event sent was accepted, and (when verified) stored exactly once.</summary>
    public bool Succeeded =>
        !Stopped && Events > 0 && Accepted == Events
        && Verification is null or { Lost: 0, Duplicated: 0 };
}

/// <param name="TargetRate">Events per second asked for.</param>
/// <param name="AchievedRate">Events per second actually sent over the run.</param>
/// <param name="MaxBehindScheduleMs">The furthest a request was sent after it was due.</param>
/// <param name="LateRequests">Requests sent more than 100 ms (or two intervals) after they were due.</param>
/// <param name="RateKept">False when the generator itself could not keep the rate (see <paramref name="Why"/>): the figures then understate what was asked.</param>
internal sealed record OpenLoopReport(double TargetRate, double AchievedRate, double MaxBehindScheduleMs, long LateRequests, bool RateKept, string? Why);

/// <param name="Stored">Accepted events the consumer stored.</param>
/// <param name="Lost">Accepted events never stored within the verification timeout.</param>
/// <param name="Duplicated">Events the store holds more than once.</param>
/// <param name="LostIds">The first lost ids, to look for.</param>
/// <param name="EndToEnd">From API acceptance to storage.</param>
/// <param name="ConsumerError">The last failure to ask the consumer, when events are reported lost: they may be unverified rather than lost.</param>
internal sealed record VerificationReport(long Stored, long Lost, long Duplicated, IReadOnlyList<string> LostIds, double WaitedSeconds, LatencySummary EndToEnd, string? ConsumerError);

/// <summary>Latency percentiles in milliseconds.</summary>
internal sealed record LatencySummary(long Count, double P50, double P90, double P99, double P999, double Max)
{
    public const long HighestTrackableMicroseconds = 60 * 60 * 1_000_000L;

    public static LongConcurrentHistogram NewHistogram() => new(1, HighestTrackableMicroseconds, 3);

    /// <param name="histogram">Latencies recorded in microseconds.</param>
    public static LatencySummary From(HistogramBase histogram)
    {
        if (histogram.TotalCount == 0)
        {
            return new LatencySummary(0, 0, 0, 0, 0, 0);
        }

        static double Ms(long microseconds) => Math.Round(microseconds / 1000.0, 2);
        return new LatencySummary(
            histogram.TotalCount,
            Ms(histogram.GetValueAtPercentile(50)),
            Ms(histogram.GetValueAtPercentile(90)),
            Ms(histogram.GetValueAtPercentile(99)),
            Ms(histogram.GetValueAtPercentile(99.9)),
            Ms(histogram.GetMaxValue()));
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(LoadReport))]
internal sealed partial class LoadGenJsonContext : JsonSerializerContext;
