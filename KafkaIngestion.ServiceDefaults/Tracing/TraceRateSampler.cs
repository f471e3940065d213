using System.Diagnostics;
using OpenTelemetry.Trace;

namespace KafkaIngestion.ServiceDefaults.Tracing;

/// <summary>
/// Decides spans without a parent (wrapped in a <see cref="ParentBasedSampler"/>, which lets every
/// other span follow its parent). A new trace is kept while the <see cref="TraceRateLimiter"/>
/// has a token. A span that only links other traces (a consumer batch of records from several
/// requests) is kept when one of them was, and dropped otherwise, spending no token: it belongs
/// to those traces' journeys, not to a new one.
/// </summary>
internal sealed class TraceRateSampler(TraceRateLimiter limiter) : Sampler
{
    private static readonly SamplingResult Sampled = new(SamplingDecision.RecordAndSample);
    private static readonly SamplingResult Dropped = new(SamplingDecision.Drop);

    /// <summary>Parent-based, with new traces capped by <paramref name="limiter"/>.</summary>
    public static Sampler ParentBased(TraceRateLimiter limiter) => new ParentBasedSampler(new TraceRateSampler(limiter));

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters)
    {
        if (samplingParameters.Links is { } links)
        {
            var linked = false;
            foreach (var link in links)
            {
                if (link.Context.TraceFlags.HasFlag(ActivityTraceFlags.Recorded))
                {
                    return Sampled;
                }

                linked = true;
            }

            if (linked)
            {
                return Dropped;
            }
        }

        return limiter.TryAcquire() ? Sampled : Dropped;
    }
}
