using Confluent.Kafka;

namespace KafkaIngestion.Consumer.Consuming;

/// <summary>
/// The consume thread's side of the hand-off to the store: the batch being filled, the full one
/// waiting for room in the store queue, and the offsets of batches the store hands back. A
/// batch's offsets are stored (here, on the consume thread, which owns the consumer) only after
/// its transaction committed, as the <see cref="OffsetLedger"/> releases them.
/// </summary>
internal sealed class BatchHandOff(
    IConsumer<string?, byte[]> consumer,
    StoreQueue queue,
    OffsetLedger ledger,
    BatchPreparer preparer,
    ConsumerOptions options,
    TimeProvider timeProvider,
    ILogger logger)
{
    private List<ConsumeResult<string?, byte[]>> _batch = [];
    private long _batchStarted;

    // A full batch, already validated, that the store queue had no room for yet.
    private PendingBatch? _ready;

    public bool HasReady => _ready is not null;

    public void Add(ConsumeResult<string?, byte[]> record)
    {
        if (_batch.Count == 0)
        {
            _batchStarted = timeProvider.GetTimestamp();
        }

        _batch.Add(record);
    }

    /// <summary>How long the next poll may wait: until the batch being filled is due, else <paramref name="idle"/>.</summary>
    public TimeSpan NextWait(TimeSpan idle) => _ready is not null || _batch.Count == 0
        ? idle
        : options.BatchMaxWait - timeProvider.GetElapsedTime(_batchStarted);

    /// <summary>Cuts the batch being filled once it is full or its first record waited long enough, unless one is still waiting for room.</summary>
    public void CutIfDue(CancellationToken cancellationToken)
    {
        if (_ready is null
            && (_batch.Count >= options.BatchSize
                || (_batch.Count > 0 && timeProvider.GetElapsedTime(_batchStarted) >= options.BatchMaxWait)))
        {
            _ready = preparer.Prepare(_batch, _batchStarted, ledger.Epoch, cancellationToken);
            _batch = new List<ConsumeResult<string?, byte[]>>(options.BatchSize);
        }
    }

    /// <summary>Hands the full batch to the store if the queue makes room within <paramref name="wait"/>.</summary>
    public bool TryHandOffReady(TimeSpan wait)
    {
        if (_ready is null || !TryHandOff(_ready, wait))
        {
            return false;
        }

        _ready = null;
        return true;
    }

    /// <summary>Stores the offsets the ledger releases for the batches the store handed back.</summary>
    public void StoreDoneOffsets()
    {
        while (queue.TryTakeDone(out var batch))
        {
            foreach (var next in ledger.Completed(batch.Offsets, batch.Stored))
            {
                try
                {
                    consumer.StoreOffset(next);
                }
                catch (KafkaException ex)
                {
                    // The partition is no longer assigned (revoked while its batch was stored): its
                    // new owner reads from the last commit, which the idempotent store makes harmless.
                    ConsumerLog.OffsetNotStored(logger, next.TopicPartition, ex.Error.Reason);
                }
            }
        }
    }

    /// <summary>Partitions were lost: the records in hand are dropped unstored. Returns how many were read and not stored.</summary>
    public int DropInHand()
    {
        var unstored = _batch.Count + (_ready?.RecordCount ?? 0) + queue.InFlight;
        _batch = [];
        _ready = null;
        return unstored;
    }

    /// <summary>
    /// Hands every record in hand to the store and waits until the store thread has tried them
    /// all once, then stores the offsets of the batches it stored. Runs on the consume thread
    /// (revocation, shutdown), where polling cannot go on.
    /// </summary>
    public void Drain(CancellationToken cancellationToken)
    {
        // One deadline for the whole drain: a rebalance (or the host's shutdown) waits on it.
        var started = timeProvider.GetTimestamp();
        TimeSpan Remaining() => options.DrainTimeout - timeProvider.GetElapsedTime(started) is { Ticks: > 0 } left ? left : TimeSpan.Zero;

        queue.BeginDrain();
        try
        {
            // The full batch waiting for room first, then the records read after it: the store
            // takes them in the order they were read, and nothing is stored after a batch given up on.
            var handedOff = true;
            if (_ready is not null)
            {
                handedOff = HandOffOrGiveUp(_ready, Remaining());
                _ready = null;
            }

            if (_batch.Count > 0 && !handedOff)
            {
                ledger.NotStored(BatchOffsets.Of(_batch, ledger.Epoch));
                _batch = [];
            }
            else if (_batch.Count > 0)
            {
                try
                {
                    HandOffOrGiveUp(preparer.Prepare(_batch, _batchStarted, ledger.Epoch, cancellationToken), Remaining());
                }
                catch (Exception ex) when (ex is OperationCanceledException or KafkaException)
                {
                    // A dead-letter write did not finish: the batch stays unstored and is read again.
                    ConsumerLog.FinalFlushSkipped(logger, _batch.Count, ex.Message);
                    ledger.NotStored(BatchOffsets.Of(_batch, ledger.Epoch));
                }

                _batch = [];
            }

            StoreDoneOffsetsOrGiveUp(Remaining);
        }
        finally
        {
            queue.EndDrain();
        }
    }

    /// <summary>
    /// Waits until the store has tried every batch handed to it, then stores the offsets of those
    /// it stored. Batches still with the store when no time <paramref name="remaining"/> count as
    /// not stored: they may yet fail (or be given up on), so no offset may move past them, and a
    /// partition this member keeps is read again from their first record.
    /// </summary>
    private void StoreDoneOffsetsOrGiveUp(Func<TimeSpan> remaining)
    {
        // Only the batches the ledger waits for matter: ones a drain already wrote off may still
        // be in flight, and their result is ignored.
        StoreDoneOffsets();
        while (ledger.WithStore > 0 && remaining() > TimeSpan.Zero)
        {
            Thread.Sleep(1);
            StoreDoneOffsets();
        }

        if (ledger.WithStore > 0)
        {
            ConsumerLog.DrainTimedOut(logger, ledger.WithStore);
            // Whatever the store finishes from now on must not store offsets any more (and the
            // store thread skips what it has not started: the records are read again).
            ledger.WriteOffWithStore();
        }
    }

    private bool HandOffOrGiveUp(PendingBatch batch, TimeSpan wait)
    {
        if (TryHandOff(batch, wait))
        {
            return true;
        }

        ConsumerLog.FinalFlushSkipped(logger, batch.RecordCount, "the store queue did not take it in time");
        ledger.NotStored(batch.Offsets);
        return false;
    }

    private bool TryHandOff(PendingBatch batch, TimeSpan wait)
    {
        if (!queue.TryAdd(batch, wait))
        {
            return false;
        }

        ledger.HandedOff(batch.Offsets);
        return true;
    }
}
