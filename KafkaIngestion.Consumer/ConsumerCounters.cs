namespace KafkaIngestion.Consumer;

/// <summary>What the consumer did since it started. Written by the consume and store threads, read by HTTP requests.</summary>
internal sealed class ConsumerCounters
{
    private long _processed;
    private long _duplicates;
    private long _deadLettered;
    private long _storeRetries;
    private long _gapEvents;

    /// <summary>Events handled and stored (or found already stored).</summary>
    public long Processed => Interlocked.Read(ref _processed);

    /// <summary>Events whose id was already stored: redeliveries or re-sent events, which changed nothing.</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    /// <summary>Failed attempts to store a batch (each was tried again).</summary>
    public long StoreRetries => Interlocked.Read(ref _storeRetries);

    /// <summary>
    /// Offsets skipped over: records that left the broker (retention) before they were
    /// processed. Each one is an event the API acknowledged and the store never got.
    /// </summary>
    public long GapEvents => Interlocked.Read(ref _gapEvents);

    public void RecordGap(long events) => Interlocked.Add(ref _gapEvents, events);

    public void RecordStored(int inserted, int duplicates)
    {
        Interlocked.Add(ref _processed, inserted + duplicates);
        Interlocked.Add(ref _duplicates, duplicates);
    }

    public void RecordDeadLettered() => Interlocked.Increment(ref _deadLettered);

    public void RecordStoreRetry() => Interlocked.Increment(ref _storeRetries);
}
