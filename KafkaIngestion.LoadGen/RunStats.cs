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
    private long _retries;
    private long _bodyBytes;

    public LongConcurrentHistogram Latency { get; } = LatencySummary.NewHistogram();

    /// <summary>The same latencies, read window by window for the report's timeline.</summary>
    public Recorder IntervalLatency { get; } = new(1, LatencySummary.HighestTrackableMicroseconds, 3, (id, low, high, digits) => new LongHistogram(id, low, high, digits));

    /// <summary>Ids of events the API acknowledged: what verification looks for downstream.</summary>
    public ConcurrentQueue<string> AcceptedIds { get; } = new();

    /// <summary>Requests, each counted once however many times it was retried.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    public long Events => Interlocked.Read(ref _events);

    /// <summary>Events whose request has an answer (or an error).</summary>
    public long AnsweredEvents => Interlocked.Read(ref _answeredEvents);

    public long Accepted => Interlocked.Read(ref _accepted);

    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Request body bytes put on the wire (compressed, when the run compresses), once per request.</summary>
    public long BodyBytes => Interlocked.Read(ref _bodyBytes);

    /// <summary>Requests sent again (the same events) after no answer, a timeout, a 429 or a 5xx.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    public IReadOnlyDictionary<string, long> StatusCodes =>
        Enumerable.Range(0, _statusCodes.Length)
            .Where(code => Interlocked.Read(ref _statusCodes[code]) > 0)
            .ToDictionary(code => code.ToString(System.Globalization.CultureInfo.InvariantCulture), code => Interlocked.Read(ref _statusCodes[code]));

    public IReadOnlyDictionary<string, long> Errors => _errors.OrderBy(e => e.Key).ToDictionary(e => e.Key, e => e.Value);

    public void Sending(int events, int bodyBytes)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _events, events);
        Interlocked.Add(ref _bodyBytes, bodyBytes);
        SentEvents.Add(events);
    }

    /// <summary>One attempt got an answer with this status code.</summary>
    public void Answered(int statusCode) =>
        Interlocked.Increment(ref _statusCodes[Math.Clamp(statusCode, 0, _statusCodes.Length - 1)]);

    /// <summary>One attempt got no answer (a transport error, a timeout, a stop), by kind.</summary>
    public void Errored(string kind)
    {
        _errors.AddOrUpdate(kind, 1, (_, n) => n + 1);
        FailedRequests.Add(1, new KeyValuePair<string, object?>("error.type", kind));
    }

    /// <summary>A request is about to be sent again.</summary>
    public void Retrying() => Interlocked.Increment(ref _retries);

    /// <summary>A request's last attempt is over: its events' outcome.</summary>
    /// <param name="dueAt">When the request was due (open loop) or first sent (closed loop): latency counts from there, retries included.</param>
    public void Finished(int events, IReadOnlyCollection<string> acceptedIds, int rejected, long dueAt)
    {
        RecordLatency(dueAt);
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

    private void RecordLatency(long dueAt)
    {
        var elapsed = Stopwatch.GetElapsedTime(dueAt);
        var microseconds = Math.Clamp((long)elapsed.TotalMicroseconds, 1, LatencySummary.HighestTrackableMicroseconds);
        Latency.RecordValue(microseconds);
        IntervalLatency.RecordValue(microseconds);
        RequestDuration.Record(elapsed.TotalSeconds);
    }
}
