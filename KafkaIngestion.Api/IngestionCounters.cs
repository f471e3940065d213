using System.Collections.Concurrent;

namespace KafkaIngestion.Api;

/// <summary>Counts of what the API did with events since it started; read by <c>/get_status</c>.</summary>
internal sealed class IngestionCounters(TimeProvider timeProvider)
{
    private readonly ConcurrentDictionary<string, long> _rejected = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _failed = new(StringComparer.Ordinal);
    private long _accepted;
    private long _inFlight;

    public DateTimeOffset StartedAt { get; } = timeProvider.GetUtcNow();

    public TimeSpan Uptime => timeProvider.GetUtcNow() - StartedAt;

    /// <summary>Stored by the broker and answered 2xx.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Handed to the producer, acknowledgement not yet received.</summary>
    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>Refused because the request was wrong (4xx), by reason.</summary>
    public IReadOnlyDictionary<string, long> Rejected => Snapshot(_rejected);

    /// <summary>Valid, but the broker did not take them (5xx), by reason.</summary>
    public IReadOnlyDictionary<string, long> Failed => Snapshot(_failed);

    public void RecordAccepted() => Interlocked.Increment(ref _accepted);

    public void RecordRejected(string reason, long events = 1) => _rejected.AddOrUpdate(reason, events, (_, n) => n + events);

    public void RecordFailed(string reason) => _failed.AddOrUpdate(reason, 1, static (_, n) => n + 1);

    public void AddInFlight(long events) => Interlocked.Add(ref _inFlight, events);

    private static SortedDictionary<string, long> Snapshot(ConcurrentDictionary<string, long> counts) => new(counts, StringComparer.Ordinal);
}

/// <summary>Why events are refused; the names used in counters and status.</summary>
internal static class RejectionReasons
{
    public const string MalformedJson = "malformed_json";
    public const string InvalidEvent = "invalid_event";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string UnsupportedEncoding = "unsupported_content_encoding";
    public const string UndecodableBody = "undecodable_body";
    public const string BodyTooLarge = "body_too_large";
    public const string BatchTooLarge = "batch_too_large";
    public const string RecordTooLarge = "record_too_large";
    public const string Unauthorized = "unauthorized";
    public const string RateLimited = "rate_limited";
}
