using KafkaIngestion.Consumer.Storage;
using KafkaIngestion.ServiceDefaults.Kafka;

namespace KafkaIngestion.Consumer.Consuming;

/// <summary>
/// The store thread: stores batches in the order they were read, each in one transaction,
/// retrying while the store is unavailable, and hands them back for their offsets to be stored.
/// </summary>
internal sealed class BatchStorer(
    IEventStore store,
    DeadLetterWriter deadLetters,
    StoreQueue queue,
    OffsetLedger ledger,
    ConsumerCounters counters,
    ConsumerMetrics metrics,
    RecentEvents recentEvents,
    ConsumerLoopState loopState,
    ConsumerOptions options,
    string groupId,
    TimeProvider timeProvider,
    ILogger logger)
{
    public void Run()
    {
        foreach (var batch in queue.Take())
        {
            // A batch read before partitions were lost, or given up on by a drain that timed
            // out, is read again: storing it now would only do the work twice (and dead-letter
            // a refused event twice).
            var writtenOff = batch.Offsets.Epoch != ledger.Epoch;
            if (!writtenOff && !queue.Abandoned && queue.Failure is null)
            {
                try
                {
                    Store(batch);
                    batch.Stored = true;
                }
                catch (Exception ex) when (ex is EventStoreUnavailableException or EventStoreRejectedException or OperationCanceledException)
                {
                    // Only while draining (or stopping): the batch and every one after it keep
                    // their offsets unstored, so they are read again, in order.
                    queue.Abandon();
                    ConsumerLog.FinalFlushSkipped(logger, batch.RecordCount, ex.Message);
                }
                catch (Exception ex)
                {
                    // E.g. a dead-letter write that kept failing: the consume loop stops rather
                    // than skip a record.
                    queue.Fail(ex);
                }
            }

            queue.HandBack(batch);
        }
    }

    /// <summary>Stores one batch, retrying while the store is unavailable (unless draining).</summary>
    private void Store(PendingBatch batch)
    {
        var valid = batch.Valid;
        using var activity = KafkaTelemetry.StartProcess(options.Topic, groupId, batch.Producers, batch.RecordCount);
        if (batch.RecordCount == 1 && batch.Offsets.First().Single() is var only)
        {
            KafkaTelemetry.SetRecord(activity, only.Partition.Value, only.Offset.Value);
        }

        if (valid.Count == 0)
        {
            return;
        }

        StoreResult stored;
        try
        {
            stored = StoreWithRetries(valid);
            recentEvents.Record(valid, timeProvider.GetUtcNow());
        }
        catch (EventStoreRejectedException ex) when (!queue.Draining)
        {
            stored = StoreOneByOne(valid, batch.ValidRecords, ex.Message);
        }

        counters.RecordStored(stored.Inserted, stored.Duplicates);
        // A batch with duplicates is (partly) a replay or redelivery: its events' age says
        // nothing about the pipeline's latency.
        if (stored.Duplicates == 0)
        {
            var storedAt = timeProvider.GetUtcNow();
            foreach (var consumed in valid)
            {
                metrics.RecordStored(storedAt - consumed.Event.Time);
            }
        }

        metrics.RecordBatch(timeProvider.GetElapsedTime(batch.Started));
        activity?.SetTag("kafkaingestion.events.stored", stored.Inserted);
        activity?.SetTag("kafkaingestion.events.duplicates", stored.Duplicates);
    }

    /// <summary>
    /// The store refused the batch because of something in it: each event is stored on its own
    /// so the good ones are kept, and one the store still refuses after
    /// <see cref="ConsumerOptions.MaxAttempts"/> tries goes to the dead-letter topic, so one bad
    /// event never blocks its partition.
    /// </summary>
    private StoreResult StoreOneByOne(List<ConsumedEvent> events, List<RecordCopy> records, string batchError)
    {
        var firstFailedAt = timeProvider.GetUtcNow();
        ConsumerLog.Isolating(logger, events.Count, batchError);
        int inserted = 0, duplicates = 0;
        for (var i = 0; i < events.Count; i++)
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    var stored = StoreWithRetries([events[i]]);
                    recentEvents.Record([events[i]], timeProvider.GetUtcNow());
                    inserted += stored.Inserted;
                    duplicates += stored.Duplicates;
                    break;
                }
                catch (EventStoreRejectedException ex) when (attempt < options.MaxAttempts)
                {
                    counters.RecordStoreRetry();
                    var delay = RetryBackoff.Delay(attempt, options.MaxRetryDelay);
                    ConsumerLog.EventRefused(logger, events[i].Event.Id, attempt, options.MaxAttempts, delay.TotalMilliseconds, ex.Message);
                    if (!queue.WaitBeforeRetry(delay))
                    {
                        throw new OperationCanceledException("Stopped trying the refused event: draining or stopping.", ex);
                    }
                }
                catch (EventStoreRejectedException ex)
                {
                    deadLetters.Write(records[i], ex.Message, attempt, firstFailedAt, queue.Stopped);
                    counters.RecordDeadLettered();
                    loopState.RecordError(ex.Message);
                    break;
                }
            }
        }

        return new StoreResult(inserted, duplicates);
    }

    private StoreResult StoreWithRetries(List<ConsumedEvent> events)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var result = store.Store(events);
                if (attempt > 1)
                {
                    loopState.Running();
                    ConsumerLog.StoreRecovered(logger, attempt);
                }

                return result;
            }
            catch (EventStoreUnavailableException ex)
            {
                // The store is unavailable (unreachable, locked, full): nothing was written and no
                // offset moves. Wait with exponential backoff and jitter, then try the same batch.
                counters.RecordStoreRetry();
                loopState.Retrying(ex.Message);
                var delay = RetryBackoff.Delay(attempt, options.MaxRetryDelay);
                ConsumerLog.StoreFailed(logger, events.Count, attempt, delay.TotalMilliseconds, ex.Message);
                if (!queue.WaitBeforeRetry(delay))
                {
                    // Draining for a revocation or shutdown: one attempt was all it gets.
                    throw;
                }
            }
        }
    }
}
