using System.Collections.Concurrent;
using Confluent.Kafka;
using KafkaIngestion.Consumer.Storage;
using KafkaIngestion.Events;
using KafkaIngestion.ServiceDefaults.Kafka;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Consumer;

/// <summary>
/// Reads <c>events</c> in the consumer group on a thread of its own (Confluent's <c>Consume</c>
/// blocks) and gathers records into micro-batches; a second thread stores each batch in one
/// transaction, so reading the next batch overlaps storing this one. A batch's offsets are
/// stored (on the consume thread, which owns the consumer) only after its transaction committed.
/// A crash therefore re-delivers rather than skips (at-least-once), and the store's unique event
/// id makes re-delivery harmless (exactly-once effect). Stored offsets are committed by
/// librdkafka in the background, on revocation, and by <c>Close()</c>.
/// </summary>
internal sealed partial class EventConsumerWorker(
    IConsumer<string?, byte[]> consumer,
    IEventStore store,
    DeadLetterWriter deadLetters,
    ConsumerCounters counters,
    ConsumerMetrics metrics,
    RecentEvents recentEvents,
    ConsumerLoopState loopState,
    ReplayRequests replays,
    IOptions<ConsumerOptions> options,
    TimeProvider timeProvider,
    IConfiguration configuration,
    ILogger<EventConsumerWorker> logger) : BackgroundService
{
    // The group as librdkafka was configured (Kafka:Consumer:Config can override the default), for spans.
    private readonly string _groupId = configuration["Kafka:Consumer:Config:group.id"] ?? ConsumerOptions.DefaultGroupId;

    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(100);

    private static readonly TimeSpan CommittedLookupTimeout = TimeSpan.FromSeconds(10);

    // How long a full batch waits for room in the store queue before the consume thread pauses
    // its partitions and only polls. Short waits are the normal back-pressure of a store that is
    // slower than Kafka; pausing for those would throw away librdkafka's prefetched records.
    private static readonly TimeSpan PauseAfter = TimeSpan.FromSeconds(1);

    private List<ConsumeResult<string?, byte[]>> _batch = [];
    private readonly Dictionary<TopicPartition, long> _nextOffset = [];

    // Per partition, the first offset of records given up on during a revocation (see RewindKept).
    private readonly Dictionary<TopicPartition, long> _unstored = [];
    private long _batchStarted;
    private CancellationToken _stopping;

    // A full batch, already validated, that the store queue had no room for yet.
    private PendingBatch? _ready;
    private bool _paused;

    // The hand-off to the store thread, and what it hands back: batches whose offsets may now be
    // stored (only the consume thread touches the consumer).
    private BlockingCollection<PendingBatch>? _toStore;
    private readonly ConcurrentQueue<PendingBatch> _done = new();
    private int _inFlight;

    // The batches handed to the store and not yet back in _done, oldest first (consume thread
    // only): what a drain that timed out must treat as not stored.
    private readonly Queue<PendingBatch> _withStore = new();

    // Set while a revocation or shutdown drains the queue: the store thread tries each batch once
    // and, after a failure, gives up on the rest too (their offsets stay unstored, in order).
    private readonly ManualResetEventSlim _giveUp = new(false);
    private volatile bool _abandoning;

    // Bumped when partitions are lost: batches read before it must not store offsets any more.
    private int _epoch;

    // Stops the store thread's waits once the consume loop has finished with it.
    private readonly CancellationTokenSource _storeStopped = new();

    /// <summary>A batch on its way to the store: the records (for offsets) and the valid events in them.</summary>
    private sealed class PendingBatch(List<ConsumeResult<string?, byte[]>> records, List<ConsumedEvent> valid, List<ConsumeResult<string?, byte[]>> validRecords,
        List<System.Diagnostics.ActivityContext> producers, long started, int epoch)
    {
        public List<ConsumeResult<string?, byte[]>> Records { get; } = records;
        public List<ConsumedEvent> Valid { get; } = valid;
        public List<ConsumeResult<string?, byte[]>> ValidRecords { get; } = validRecords;
        public List<System.Diagnostics.ActivityContext> Producers { get; } = producers;
        public long Started { get; } = started;
        public int Epoch { get; } = epoch;
        public bool Stored { get; set; }
    }

    /// <summary>Group membership, earliest offset for a new group, offsets stored by us.</summary>
    public static void ConfigureConsumerDefaults(ConsumerConfig config)
    {
        config.GroupId = ConsumerOptions.DefaultGroupId;
        config.AutoOffsetReset = AutoOffsetReset.Earliest;
        config.EnableAutoCommit = true;
        config.EnableAutoOffsetStore = false;
        config.AutoCommitIntervalMs = 1_000;
        // How long the broker may hold a fetch while it has nothing new. librdkafka's default
        // (500 ms) showed as half a second between the API's send span and the consumer's
        // process span on the embedded broker; a real broker answers as soon as data arrives,
        // so the lower ceiling only costs a few more empty fetches while idle.
        config.FetchWaitMaxMs = 50;
        // A broker that goes away without closing the connection leaves requests unanswered;
        // librdkafka gives up on them after socket.timeout.ms (60 s by default), and until then
        // the member neither fetches nor heartbeats — it stood still for a minute after a 10 s
        // broker outage in the fault suite, and lost its group membership. Fetches return in
        // fetch.wait.max.ms and the other requests in milliseconds, so 10 s is ample.
        config.SocketTimeoutMs = 10_000;
        // Once librdkafka's prefetch queue holds queued.min.messages (100,000) it stops fetching
        // for fetch.queue.backoff.ms (1 s by default) — while draining a backlog the loop empties
        // that queue in well under a second and then waits: reading alone stalled at ~125,000
        // events/s, idle half the time. Checking again after 50 ms keeps the queue fed (reading
        // alone ~270,000 events/s in bench/drain.sh); the queue's size limits are unchanged.
        config.FetchQueueBackoffMs = 50;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        _toStore = new BlockingCollection<PendingBatch>(options.Value.StoreQueueBatches);
        var storeThread = new Thread(StoreLoop) { IsBackground = true, Name = "event-store" };
        storeThread.Start();
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            Exception? failure = null;
            try
            {
                ConsumeLoop(stoppingToken);
            }
            catch (Exception ex)
            {
                failure = ex;
                loopState.Fail(ex.Message);
                LogLoopFailed(logger, ex);
            }
            finally
            {
                // The store thread ends before the host may dispose the store under it.
                _toStore.CompleteAdding();
                _storeStopped.Cancel();
                storeThread.Join();
            }

            if (failure is null)
            {
                finished.SetResult();
            }
            else
            {
                finished.SetException(failure);
            }
        })
        {
            IsBackground = true,
            Name = "kafka-consume",
        };
        thread.Start();
        return finished.Task;
    }

    public override void Dispose()
    {
        base.Dispose();
        _giveUp.Dispose();
        _storeStopped.Dispose();
        _toStore?.Dispose();
    }

    /// <summary>
    /// Called by librdkafka (inside <c>Consume</c>, on the consume thread) before partitions move
    /// to another member: what was read from them is stored and committed first, so the new owner
    /// starts exactly after it.
    /// </summary>
    public void OnPartitionsRevoked(IConsumer<string?, byte[]> revokedFrom, List<TopicPartitionOffset> partitions)
    {
        // One attempt per batch only: a rebalance must not wait on a failing store. A batch that
        // is not stored keeps its offsets (and those of every batch after it) unstored, so the
        // partitions' next owner reads it again.
        DrainStoreQueue(_stopping);

        try
        {
            revokedFrom.Commit();
        }
        catch (KafkaException ex)
        {
            // Nothing new to commit, or membership already lost (the next owner then re-reads
            // from the last commit, which the idempotent store makes harmless).
            LogCommitOnRevokeFailed(logger, ex.Error.Reason);
        }

        foreach (var partition in partitions)
        {
            _nextOffset.Remove(partition.TopicPartition);
        }

        // With cooperative rebalancing some partitions stay: they are resumed here (the queue is
        // empty now; the loop pauses them again if the store still does not take batches), and
        // rewound to their first record given up on above.
        var revoked = partitions.Select(p => p.TopicPartition).ToHashSet();
        var kept = consumer.Assignment.Where(p => !revoked.Contains(p)).ToList();
        if (_paused && kept.Count > 0)
        {
            consumer.Resume(kept);
        }

        _paused = false;
        RewindKept(kept);
        LogRevoked(logger, partitions.Count);
    }

    /// <summary>
    /// Called when this member was dropped from the group: the partitions already belong to
    /// someone else, so nothing may be committed. The records in hand are dropped unstored and
    /// batches already handed to the store will not store offsets; the new owner reads them again.
    /// </summary>
    public void OnPartitionsLost(List<TopicPartitionOffset> partitions)
    {
        _unstored.Clear();
        // Their results no longer count (the epoch below), so they need not be waited for.
        _withStore.Clear();
        LogLost(logger, partitions.Count, _batch.Count + (_ready?.Records.Count ?? 0) + Volatile.Read(ref _inFlight));
        _batch = [];
        _ready = null;
        _paused = false;
        Interlocked.Increment(ref _epoch);
        foreach (var partition in partitions)
        {
            _nextOffset.Remove(partition.TopicPartition);
        }
    }

    private void ConsumeLoop(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        consumer.Subscribe(settings.Topic);
        loopState.Running();
        LogStarted(logger, settings.Topic, settings.BatchSize, settings.BatchMaxWait.TotalMilliseconds);

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (replays.TryTake(out var replayFrom))
                {
                    Replay(replayFrom);
                }

                StoreDoneOffsets();
                if (_storeFailure is { } failure)
                {
                    throw new InvalidOperationException("The store thread stopped: " + failure.Message, failure);
                }

                if (_ready is null
                    && (_batch.Count >= settings.BatchSize
                        || (_batch.Count > 0 && timeProvider.GetElapsedTime(_batchStarted) >= settings.BatchMaxWait)))
                {
                    _ready = Prepare(_batch, stoppingToken);
                    _batch = new List<ConsumeResult<string?, byte[]>>(settings.BatchSize);
                }

                if (_ready is not null)
                {
                    if (TryHandOff(_ready, _paused ? TimeSpan.Zero : PauseAfter))
                    {
                        _ready = null;
                        if (_paused)
                        {
                            ResumeAll();
                        }
                    }
                    else if (!_paused)
                    {
                        PauseAll();
                    }
                }

                // While paused (the store has not taken a batch for a while, e.g. it is down),
                // Consume still runs: it keeps this member in the group beyond
                // max.poll.interval.ms and serves rebalances, but delivers no new records.
                var wait = _ready is not null || _batch.Count == 0
                    ? IdlePoll
                    : settings.BatchMaxWait - timeProvider.GetElapsedTime(_batchStarted);
                ConsumeResult<string?, byte[]>? record = null;
                try
                {
                    record = consumer.Consume(wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
                }
                catch (ConsumeException ex) when (!ex.Error.IsFatal)
                {
                    // librdkafka reports and recovers from these itself (e.g. a broker going
                    // away); nothing was consumed, so nothing is skipped.
                    loopState.RecordError(ex.Error.Reason);
                    LogConsumeError(logger, ex.Error.Code, ex.Error.Reason);
                }

                if (record is { IsPartitionEOF: false })
                {
                    DetectGap(record);
                    if (_batch.Count == 0)
                    {
                        _batchStarted = timeProvider.GetTimestamp();
                    }

                    // Even while paused a record may arrive (fetched just before the pause): it
                    // joins the next batch, so nothing read is ever dropped.
                    _batch.Add(record);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down while a dead-letter write waited: the batch's offsets stay
            // unstored, so it is delivered again to whoever consumes next.
        }
        finally
        {
            // Graceful shutdown stores what was read if the store takes it at once.
            using var shortWait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            DrainStoreQueue(shortWait.Token);
            // Commits the stored offsets and leaves the group at once, so partitions move to
            // the other members without waiting for a session timeout.
            consumer.Close();
            loopState.Stopped();
            LogStopped(logger);
        }
    }

    private bool TryHandOff(PendingBatch batch, TimeSpan wait)
    {
        Interlocked.Increment(ref _inFlight);
        if (_toStore!.TryAdd(batch, wait))
        {
            _withStore.Enqueue(batch);
            return true;
        }

        Interlocked.Decrement(ref _inFlight);
        return false;
    }

    private void PauseAll()
    {
        var assignment = consumer.Assignment;
        consumer.Pause(assignment);
        _paused = true;
        LogPaused(logger, assignment.Count);
    }

    private void ResumeAll()
    {
        // librdkafka resumes fetching from the position after the last record it handed to us,
        // so every record read before the pause (all of them in a batch here) is followed by
        // the next one: nothing skipped, nothing read twice.
        consumer.Resume(consumer.Assignment);
        _paused = false;
        LogResumed(logger);
    }

    /// <summary>
    /// Hands every record in hand to the store and waits until the store thread has tried them
    /// all once, then stores the offsets of the batches it stored. Runs on the consume thread
    /// (revocation, shutdown), where polling cannot go on.
    /// </summary>
    private void DrainStoreQueue(CancellationToken cancellationToken)
    {
        // One deadline for the whole drain: a rebalance (or the host's shutdown) waits on it.
        var started = timeProvider.GetTimestamp();
        TimeSpan Remaining() => options.Value.DrainTimeout - timeProvider.GetElapsedTime(started) is { Ticks: > 0 } left ? left : TimeSpan.Zero;

        // Cleared before giving up is signalled: a store thread that gave up during an earlier
        // drain may have set it after that drain ended, and it only counts while _giveUp is set.
        _abandoning = false;
        _giveUp.Set();
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
                RememberUnstored(_batch);
                _batch = [];
            }
            else if (_batch.Count > 0)
            {
                try
                {
                    HandOffOrGiveUp(Prepare(_batch, cancellationToken), Remaining());
                }
                catch (Exception ex) when (ex is OperationCanceledException or KafkaException)
                {
                    // A dead-letter write did not finish: the batch stays unstored and is read again.
                    LogFinalFlushSkipped(logger, _batch.Count, ex.Message);
                    RememberUnstored(_batch);
                }

                _batch = [];
            }

            StoreDoneOffsetsOrGiveUp(Remaining);
        }
        finally
        {
            _abandoning = false;
            _giveUp.Reset();
        }
    }

    /// <summary>
    /// Waits until the store has tried every batch handed to it, then stores the offsets of those
    /// it stored. Batches still with the store when no time <paramref name="remaining"/> count as
    /// not stored: they may yet fail (or be given up on), so no offset may move past them, and a
    /// partition this member keeps is read again from their first record (see RewindKept).
    /// </summary>
    private void StoreDoneOffsetsOrGiveUp(Func<TimeSpan> remaining)
    {
        // Only the batches in _withStore matter: ones a drain already gave up on may still be
        // in flight, and their result is ignored.
        StoreDoneOffsets();
        while (_withStore.Count > 0 && remaining() > TimeSpan.Zero)
        {
            Thread.Sleep(1);
            StoreDoneOffsets();
        }

        if (_withStore.Count == 0)
        {
            return;
        }

        LogDrainTimedOut(logger, _withStore.Count);
        // Whatever the store finishes from now on must not store offsets any more (and the
        // store thread skips what it has not started: the records are read again).
        Interlocked.Increment(ref _epoch);
        while (_withStore.TryDequeue(out var stillWithStore))
        {
            RememberUnstored(stillWithStore.Records);
        }
    }

    private bool HandOffOrGiveUp(PendingBatch batch, TimeSpan wait)
    {
        if (TryHandOff(batch, wait))
        {
            return true;
        }

        LogFinalFlushSkipped(logger, batch.Records.Count, "the store queue did not take it in time");
        RememberUnstored(batch.Records);
        return false;
    }

    /// <summary>Stores the offsets of batches the store committed, in the order they were read.</summary>
    private void StoreDoneOffsets()
    {
        var epoch = Volatile.Read(ref _epoch);
        while (_done.TryDequeue(out var batch))
        {
            // The store hands batches back in the order it took them; one that is not the oldest
            // handed off was already counted as not stored by a drain that timed out.
            if (_withStore.TryPeek(out var oldest) && ReferenceEquals(oldest, batch))
            {
                _withStore.Dequeue();
            }

            if (batch.Epoch != epoch)
            {
                continue;
            }

            if (batch.Stored)
            {
                StoreOffsets(batch.Records);
            }
            else
            {
                RememberUnstored(batch.Records);
            }
        }
    }

    /// <summary>
    /// Records given up on during a revocation (the store failed, or did not take them in time):
    /// the first such offset per partition. Their offsets were never stored, so a partition that
    /// moves to another member is read again from there; one this member keeps is rewound.
    /// </summary>
    private void RememberUnstored(List<ConsumeResult<string?, byte[]>> records)
    {
        foreach (var record in records)
        {
            var topicPartition = record.TopicPartition;
            if (!_unstored.TryGetValue(topicPartition, out var first) || record.Offset.Value < first)
            {
                _unstored[topicPartition] = record.Offset.Value;
            }
        }
    }

    /// <summary>
    /// After a revocation that took only some partitions (cooperative rebalancing), the ones kept
    /// go on from their first record that was not stored; otherwise the loop would continue after
    /// it and those events would be skipped until the next restart or rebalance.
    /// </summary>
    private void RewindKept(IReadOnlyCollection<TopicPartition> kept)
    {
        foreach (var partition in kept)
        {
            if (_unstored.TryGetValue(partition, out var first))
            {
                consumer.Seek(new TopicPartitionOffset(partition, first));
                _nextOffset.Remove(partition);
                LogRewound(logger, partition, first);
            }
        }

        _unstored.Clear();
    }

    /// <summary>
    /// Reads this member's partitions again from the earliest offset, or from the first record at
    /// or after a time (the broker looks the offsets up; librdkafka's mock broker cannot, and
    /// answers "end").
    /// </summary>
    private void Replay(DateTimeOffset from)
    {
        // The records already read need no flush first: the store takes batches in the order
        // they were read, so theirs are stored (and their offsets stored) before the replayed ones.
        var partitions = consumer.Assignment;
        List<TopicPartitionOffset> targets;
        try
        {
            targets = from == DateTimeOffset.MinValue
                ? partitions.Select(p => new TopicPartitionOffset(p, Offset.Beginning)).ToList()
                : consumer.OffsetsForTimes(partitions.Select(p => new TopicPartitionTimestamp(p, new Timestamp(from))), CommittedLookupTimeout)
                    // A replay only ever goes back: a time after the current position (or "end")
                    // would skip events that were never stored.
                    .Where(t => !t.Offset.IsSpecial && consumer.Position(t.TopicPartition) is var at && (at.IsSpecial || t.Offset.Value < at.Value))
                    .ToList();
            foreach (var target in targets)
            {
                consumer.Seek(target);
                _nextOffset.Remove(target.TopicPartition);
            }
        }
        catch (KafkaException ex)
        {
            LogReplayFailed(logger, ex.Error.Reason);
            return;
        }

        LogReplay(logger, targets.Count, from == DateTimeOffset.MinValue ? "the earliest offset" : from.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Offsets of one partition are consecutive (the topic is neither compacted nor written in
    /// transactions), so a record further on than expected means the records in between left
    /// the broker before this group read them: counted and logged, never hidden.
    /// </summary>
    private void DetectGap(ConsumeResult<string?, byte[]> record)
    {
        // ConsumeResult builds a new TopicPartition on every read of the property.
        var topicPartition = record.TopicPartition;
        if (!_nextOffset.TryGetValue(topicPartition, out var expected))
        {
            // First record since assignment: continue from the group's committed offset, or from
            // the partition's start for a group that never committed.
            try
            {
                var committed = consumer.Committed([topicPartition], CommittedLookupTimeout)[0].Offset;
                expected = committed == Offset.Unset ? 0 : committed.Value;
            }
            catch (KafkaException)
            {
                // The committed offset could not be read: start gap detection from here rather
                // than stop consuming.
                expected = record.Offset.Value;
            }
        }

        if (record.Offset.Value > expected)
        {
            var missing = record.Offset.Value - expected;
            counters.RecordGap(missing);
            LogGap(logger, missing, topicPartition, expected, record.Offset.Value - 1);
        }

        _nextOffset[topicPartition] = record.Offset.Value + 1;
    }

    /// <summary>
    /// Validates a batch on the consume thread: records that are not valid events go to the
    /// dead-letter topic (retrying cannot help, and acknowledging them silently would hide them).
    /// </summary>
    private PendingBatch Prepare(List<ConsumeResult<string?, byte[]>> records, CancellationToken cancellationToken)
    {
        var valid = new List<ConsumedEvent>(records.Count);
        var validRecords = new List<ConsumeResult<string?, byte[]>>(records.Count);
        var producers = new List<System.Diagnostics.ActivityContext>();
        // Reading every record's trace context is wasted work when no tracer listens.
        var tracing = KafkaTelemetry.IsListening;
        foreach (var record in records)
        {
            if (tracing && KafkaTelemetry.Extract(record.Message.Headers) is { } producer)
            {
                producers.Add(producer);
            }

            if (CloudEventKafkaBinding.TryRead(record.Message, out var ingestEvent, out var error))
            {
                valid.Add(new ConsumedEvent(ingestEvent!, record.Partition.Value, record.Offset.Value));
                validRecords.Add(record);
            }
            else
            {
                deadLetters.Write(record, error!, attempts: 1, timeProvider.GetUtcNow(), cancellationToken);
                counters.RecordDeadLettered();
            }
        }

        return new PendingBatch(records, valid, validRecords, producers, _batchStarted, Volatile.Read(ref _epoch));
    }

    /// <summary>The store thread: stores batches in the order they were read and hands them back.</summary>
    private void StoreLoop()
    {
        foreach (var batch in _toStore!.GetConsumingEnumerable())
        {
            // A batch read before partitions were lost, or given up on by a drain that timed
            // out, is read again: storing it now would only do the work twice (and dead-letter
            // a refused event twice).
            var writtenOff = batch.Epoch != Volatile.Read(ref _epoch);
            if (!writtenOff && !(_abandoning && _giveUp.IsSet) && _storeFailure is null)
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
                    _abandoning = true;
                    LogFinalFlushSkipped(logger, batch.Records.Count, ex.Message);
                }
                catch (Exception ex)
                {
                    // E.g. a dead-letter write that kept failing: the consume loop stops rather
                    // than skip a record.
                    _storeFailure = ex;
                }
            }

            _done.Enqueue(batch);
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private volatile Exception? _storeFailure;

    /// <summary>Stores one batch, retrying while the store is unavailable (unless draining).</summary>
    private void Store(PendingBatch batch)
    {
        var valid = batch.Valid;
        using var activity = KafkaTelemetry.StartProcess(options.Value.Topic, _groupId, batch.Producers, batch.Records.Count);
        if (batch.Records is [var only])
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
        catch (EventStoreRejectedException ex) when (!_giveUp.IsSet)
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

    /// <summary>Waits between attempts; false (stop trying) when draining or stopping.</summary>
    private bool WaitBeforeRetry(TimeSpan delay)
    {
        WaitHandle.WaitAny([_storeStopped.Token.WaitHandle, _giveUp.WaitHandle], delay);
        return !_storeStopped.IsCancellationRequested && !_giveUp.IsSet;
    }

    /// <summary>
    /// The store refused the batch because of something in it: each event is stored on its own
    /// so the good ones are kept, and one the store still refuses after
    /// <see cref="ConsumerOptions.MaxAttempts"/> tries goes to the dead-letter topic, so one bad
    /// event never blocks its partition.
    /// </summary>
    private StoreResult StoreOneByOne(List<ConsumedEvent> events, List<ConsumeResult<string?, byte[]>> records, string batchError)
    {
        var firstFailedAt = timeProvider.GetUtcNow();
        LogIsolating(logger, events.Count, batchError);
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
                catch (EventStoreRejectedException ex) when (attempt < options.Value.MaxAttempts)
                {
                    counters.RecordStoreRetry();
                    var delay = Backoff(attempt);
                    LogEventRefused(logger, events[i].Event.Id, attempt, options.Value.MaxAttempts, delay.TotalMilliseconds, ex.Message);
                    if (!WaitBeforeRetry(delay))
                    {
                        throw new OperationCanceledException("Stopped trying the refused event: draining or stopping.", ex);
                    }
                }
                catch (EventStoreRejectedException ex)
                {
                    deadLetters.Write(records[i], ex.Message, attempt, firstFailedAt, _storeStopped.Token);
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
                    LogStoreRecovered(logger, attempt);
                }

                return result;
            }
            catch (EventStoreUnavailableException ex)
            {
                // The store is unavailable (unreachable, locked, full): nothing was written and no
                // offset moves. Wait with exponential backoff and jitter, then try the same batch.
                counters.RecordStoreRetry();
                loopState.Retrying(ex.Message);
                var delay = Backoff(attempt);
                LogStoreFailed(logger, events.Count, attempt, delay.TotalMilliseconds, ex.Message);
                if (!WaitBeforeRetry(delay))
                {
                    // Draining for a revocation or shutdown: one attempt was all it gets.
                    throw;
                }
            }
        }
    }

    private TimeSpan Backoff(int attempt)
    {
        var ceiling = Math.Min(options.Value.MaxRetryDelay.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(attempt, 20)));
        return TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }

    private void StoreOffsets(List<ConsumeResult<string?, byte[]>> records)
    {
        // The next offset to read, per partition: one past the last record handled. The batch
        // holds records of the one subscribed topic, so the partition number tells them apart.
        var lastByPartition = new Dictionary<int, ConsumeResult<string?, byte[]>>();
        foreach (var record in records)
        {
            if (!lastByPartition.TryGetValue(record.Partition.Value, out var last) || record.Offset.Value > last.Offset.Value)
            {
                lastByPartition[record.Partition.Value] = record;
            }
        }

        foreach (var last in lastByPartition.Values)
        {
            try
            {
                consumer.StoreOffset(new TopicPartitionOffset(last.TopicPartition, last.Offset + 1));
            }
            catch (KafkaException ex)
            {
                // The partition is no longer assigned (revoked while its batch was stored): its
                // new owner reads from the last commit, which the idempotent store makes harmless.
                LogOffsetNotStored(logger, last.TopicPartition, ex.Error.Reason);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming {Topic} in batches of up to {BatchSize} events or {MaxWaitMs} ms")]
    private static partial void LogStarted(ILogger logger, string topic, int batchSize, double maxWaitMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Missing} events of {TopicPartition} (offsets {From} to {To}) were never processed: they left the broker before this group read them")]
    private static partial void LogGap(ILogger logger, long missing, TopicPartition topicPartition, long from, long to);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replaying {Partitions} partition(s) from {From}; events already stored count as duplicates")]
    private static partial void LogReplay(ILogger logger, int partitions, string from);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Partitions} partition(s) lost to the group; {Events} unstored events will be read again by their new owner")]
    private static partial void LogLost(ILogger logger, int partitions, int events);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replay did not start: {Reason}")]
    private static partial void LogReplayFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "No commit on revocation: {Reason}")]
    private static partial void LogCommitOnRevokeFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consume error {Code}: {Reason}")]
    private static partial void LogConsumeError(ILogger logger, ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storing a batch of {Events} events failed (attempt {Attempt}); trying again in {DelayMs:F0} ms: {Reason}")]
    private static partial void LogStoreFailed(ILogger logger, int events, int attempt, double delayMs, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The store refused a batch of {Events} events because of its contents ({Reason}); storing them one by one to find the refused ones")]
    private static partial void LogIsolating(ILogger logger, int events, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The store refused event {EventId} (attempt {Attempt} of {Attempts}); trying again in {DelayMs:F0} ms: {Reason}")]
    private static partial void LogEventRefused(ILogger logger, string eventId, int attempt, int attempts, double delayMs, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "The store took the batch again after {Attempts} attempts")]
    private static partial void LogStoreRecovered(ILogger logger, int attempts);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Partitions} partition(s) revoked; their processed offsets were committed")]
    private static partial void LogRevoked(ILogger logger, int partitions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Draining for a rebalance or shutdown: {Events} events not stored ({Reason}); they will be delivered again")]
    private static partial void LogFinalFlushSkipped(ILogger logger, int events, string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The consume loop stopped on an error; offsets of unhandled records were not stored")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The store has not taken a batch for a while; {Partitions} partition(s) paused, polling goes on to keep the group membership")]
    private static partial void LogPaused(ILogger logger, int partitions);

    [LoggerMessage(Level = LogLevel.Information, Message = "The store takes batches again; partitions resumed")]
    private static partial void LogResumed(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Batches} batch(es) still with the store after the drain timeout; their offsets will not be stored, and their events are read again")]
    private static partial void LogDrainTimedOut(ILogger logger, int batches);

    [LoggerMessage(Level = LogLevel.Information, Message = "Offset of {TopicPartition} not stored: {Reason}")]
    private static partial void LogOffsetNotStored(ILogger logger, TopicPartition topicPartition, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{TopicPartition} stays with this member: reading it again from offset {Offset}, the first event not stored before the rebalance")]
    private static partial void LogRewound(ILogger logger, TopicPartition topicPartition, long offset);

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumer closed; stored offsets committed")]
    private static partial void LogStopped(ILogger logger);
}
