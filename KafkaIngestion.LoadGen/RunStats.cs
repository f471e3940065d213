using System.Collections.Concurrent;
using System.Diagnostics;
using HdrHistogram;

namespace KafkaIngestion.LoadGen;

/// <summary>
/// What a run has seen so far; written by every in-flight request at once, read by progress
/// reports while the run goes on, and summarized into the <see cref="LoadReport"/>.
/// </summary>
/// <param name="collectAcceptedIds">Keep accepted ids for verification; off, a long run keeps no per-event memory.</param>
internal sealed class RunStats(bool collectAcceptedIds = true)
{
    // Live curves for the dashboard (meter KafkaIngestion.LoadGen); the report uses the fields below.
    private static readonly System.Diagnostics.Metrics.Meter Meter = new("KafkaIngestion.LoadGen");
    private static readonly System.Diagnostics.Metrics.Counter<long> SentEvents =
        Meter.CreateCounter<long>("kafkaingestion.loadgen.events.sent", "{event}", "Events sent.");
    private static readonly System.Diagnostics.Metrics.Counter<long> AcknowledgedEvents =
        Meter.CreateCounter<long>("kafkaingestion.loadgen.events.acknowledged", "{event}", "Events the API accepted.");
    private static readonly System.Diagnostics.Metrics.Counter<long> FailedRequests =
        Meter.CreateCounter<long>("kafkaingestion.loadgen.requests.errors", "{request}", "Requests with no answer (transport errors, timeouts), by kind.");
    private static readonly System.Diagnostics.Metrics.Histogram<double> RequestDuration =
        Meter.CreateHistogram<double>("kafkaingestion.loadgen.request.duration", "s", "From a request's due time to its answer.");

    // Indexed by status code: a counter per code without locks or lookups on the hot path.
    private readonly long[] _statusCodes = new long[600];
    private readonly ConcurrentDictionary<string, long> _errors = new(StringComparer.Ordinal);
    private long _requests;
    private long _events;
    private long _answeredEvents;
    private long _accepted;
    private long _rejected;

    public LongConcurrentHistogram Latency { get; } = LatencySummary.NewHistogram();

    /// <summary>Ids of events the API acknowledged: what verification looks for downstream.</summary>
    public ConcurrentQueue<string> AcceptedIds { get; } = new();

    public long Requests => Interlocked.Read(ref _requests);

    public long Events => Interlocked.Read(ref _events);

    /// <summary>Events whose request has an answer (or an error).</summary>
    public long AnsweredEvents => Interlocked.Read(ref _answeredEvents);

    public long Accepted => Interlocked.Read(ref _accepted);

    public long Rejected => Interlocked.Read(ref _rejected);

    public IReadOnlyDictionary<string, long> StatusCodes =>
        Enumerable.Range(0, _statusCodes.Length)
            .Where(code => Interlocked.Read(ref _statusCodes[code]) > 0)
            .ToDictionary(code => code.ToString(System.Globalization.CultureInfo.InvariantCulture), code => Interlocked.Read(ref _statusCodes[code]));

    public IReadOnlyDictionary<string, long> Errors => _errors.OrderBy(e => e.Key).ToDictionary(e => e.Key, e => e.Value);

    public void Sending(int events)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _events, events);
        SentEvents.Add(events);
    }

    /// <param name="dueAt">When the request was due (open loop) or sent (closed loop): latency counts from there.</param>
    public void Answered(int statusCode, int events, IReadOnlyCollection<string> acceptedIds, int rejected, long dueAt)
    {
        RecordLatency(dueAt);
        Interlocked.Increment(ref _statusCodes[Math.Clamp(statusCode, 0, _statusCodes.Length - 1)]);
        if (collectAcceptedIds)
        {
            foreach (var id in acceptedIds)
            {
                AcceptedIds.Enqueue(id);
            }
        }

        Interlocked.Add(ref _accepted, acceptedIds.Count);
        AcknowledgedEvents.Add(acceptedIds.Count);
        Interlocked.Add(ref _rejected, rejected);
        Interlocked.Add(ref _answeredEvents, events);
    }

    public void Errored(string kind, int events, long dueAt)
    {
        RecordLatency(dueAt);
        _errors.AddOrUpdate(kind, 1, (_, n) => n + 1);
        FailedRequests.Add(1, new KeyValuePair<string, object?>("error.type", kind));
        Interlocked.Add(ref _answeredEvents, events);
    }

    private void RecordLatency(long dueAt)
    {
        var elapsed = Stopwatch.GetElapsedTime(dueAt);
        Latency.RecordValue(Math.Clamp((long)elapsed.TotalMicroseconds, 1, LatencySummary.HighestTrackableMicroseconds));
        RequestDuration.Record(elapsed.TotalSeconds);
    }
}
