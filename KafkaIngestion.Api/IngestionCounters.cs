namespace KafkaIngestion.Api;

/// <summary>Counts of what the API did with events since it started.</summary>
internal sealed class IngestionCounters(TimeProvider timeProvider)
{
    private long _accepted;
    private long _rejected;
    private long _failed;

    public DateTimeOffset StartedAt { get; } = timeProvider.GetUtcNow();

    /// <summary>Stored by the broker and answered 2xx.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Refused because the request was invalid (4xx).</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Valid, but the broker did not take them (5xx).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    public TimeSpan Uptime => timeProvider.GetUtcNow() - StartedAt;

    public void RecordAccepted() => Interlocked.Increment(ref _accepted);

    public void RecordRejected() => Interlocked.Increment(ref _rejected);

    public void RecordFailed() => Interlocked.Increment(ref _failed);
}
