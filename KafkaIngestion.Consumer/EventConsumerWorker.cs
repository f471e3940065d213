using Confluent.Kafka;
using KafkaIngestion.Consumer.Storage;
using KafkaIngestion.Events;
using KafkaIngestion.ServiceDefaults.Kafka;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Consumer;

/// <summary>
/// Reads <c>events</c> in the consumer group on a thread of its own (Confluent's <c>Consume</c>
/// blocks), gathers records into micro-batches, stores each batch in one transaction and only
/// then stores the batch's offsets. A crash therefore re-delivers rather than skips
/// (at-least-once), and the store's unique event id makes re-delivery harmless (exactly-once
/// effect). Stored offsets are committed by librdkafka in the background, on revocation, and by
/// <c>Close()</c>.
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

    private readonly List<ConsumeResult<string?, byte[]>> _batch = [];
    private readonly Dictionary<TopicPartition, long> _nextOffset = [];
    private long _batchStarted;
    private CancellationToken _stopping;

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
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                ConsumeLoop(stoppingToken);
                finished.SetResult();
            }
            catch (Exception ex)
            {
                loopState.Fail(ex.Message);
                LogLoopFailed(logger, ex);
                finished.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "kafka-consume",
        };
        thread.Start();
        return finished.Task;
    }

    /// <summary>
    /// Called by librdkafka (inside <c>Consume</c>, on the consume thread) before partitions move
    /// to another member: what was read from them is stored and committed first, so the new owner
    /// starts exactly after it.
    /// </summary>
    public void OnPartitionsRevoked(IConsumer<string?, byte[]> revokedFrom, List<TopicPartitionOffset> partitions)
    {
        if (_batch.Count > 0)
        {
            // One attempt only: a rebalance must not wait on a failing store. A batch that is
            // not stored keeps its offsets unstored, so the partitions' next owner reads it again.
            try
            {
                Flush(retry: false, _stopping);
            }
            catch (Exception ex) when (ex is EventStoreUnavailableException or EventStoreRejectedException or OperationCanceledException)
            {
                LogFinalFlushSkipped(logger, _batch.Count, ex.Message);
                _batch.Clear();
            }
        }

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

        LogRevoked(logger, partitions.Count);
    }

    /// <summary>
    /// Called when this member was dropped from the group (e.g. the store was down longer than
    /// max.poll.interval.ms): the partitions already belong to someone else, so nothing may be
    /// committed. The batch in hand is dropped unstored; its new owner reads it again.
    /// </summary>
    public void OnPartitionsLost(List<TopicPartitionOffset> partitions)
    {
        LogLost(logger, partitions.Count, _batch.Count);
        _batch.Clear();
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
                    Replay(replayFrom, stoppingToken);
                }

                var wait = _batch.Count == 0 ? IdlePoll : settings.BatchMaxWait - timeProvider.GetElapsedTime(_batchStarted);
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

                    _batch.Add(record);
                }

                if (_batch.Count >= settings.BatchSize
                    || (_batch.Count > 0 && timeProvider.GetElapsedTime(_batchStarted) >= settings.BatchMaxWait))
                {
                    Flush(retry: true, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down while a batch waited for the store: its offsets stay unstored, so
            // the batch is delivered again to whoever consumes next.
        }
        finally
        {
            // Graceful shutdown finishes the batch in hand if the store takes it at once.
            TryFinalFlush();
            // Commits the stored offsets and leaves the group at once, so partitions move to
            // the other members without waiting for a session timeout.
            consumer.Close();
            loopState.Stopped();
            LogStopped(logger);
        }
    }

    /// <summary>
    /// Reads this member's partitions again from the earliest offset, or from the first record at
    /// or after a time (the broker looks the offsets up; librdkafka's mock broker cannot, and
    /// answers "end"). The batch in hand is stored first.
    /// </summary>
    private void Replay(DateTimeOffset from, CancellationToken stoppingToken)
    {
        if (_batch.Count > 0)
        {
            Flush(retry: true, stoppingToken);
        }

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
        if (!_nextOffset.TryGetValue(record.TopicPartition, out var expected))
        {
            // First record since assignment: continue from the group's committed offset, or from
            // the partition's start for a group that never committed.
            try
            {
                var committed = consumer.Committed([record.TopicPartition], CommittedLookupTimeout)[0].Offset;
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
            LogGap(logger, missing, record.TopicPartition, expected, record.Offset.Value - 1);
        }

        _nextOffset[record.TopicPartition] = record.Offset.Value + 1;
    }

    /// <summary>Stores the batch (retrying while the store fails, if asked), then stores its offsets.</summary>
    private void Flush(bool retry, CancellationToken stoppingToken)
    {
        var valid = new List<ConsumedEvent>(_batch.Count);
        var records = new List<ConsumeResult<string?, byte[]>>(_batch.Count);
        var producers = new List<System.Diagnostics.ActivityContext>();
        foreach (var record in _batch)
        {
            if (KafkaTelemetry.Extract(record.Message.Headers) is { } producer)
            {
                producers.Add(producer);
            }

            if (CloudEventKafkaBinding.TryRead(record.Message, out var ingestEvent, out var error))
            {
                valid.Add(new ConsumedEvent(ingestEvent!, record.Partition.Value, record.Offset.Value));
                records.Add(record);
            }
            else
            {
                // A record that is not a valid event never becomes one: retrying cannot help,
                // and acknowledging it silently would hide it. It goes to the dead-letter topic.
                deadLetters.Write(record, error!, attempts: 1, timeProvider.GetUtcNow(), stoppingToken);
                counters.RecordDeadLettered();
            }
        }

        using var activity = KafkaTelemetry.StartProcess(options.Value.Topic, _groupId, producers, _batch.Count);
        if (_batch is [var only])
        {
            KafkaTelemetry.SetRecord(activity, only.Partition.Value, only.Offset.Value);
        }

        if (valid.Count > 0)
        {
            StoreResult stored;
            try
            {
                stored = retry ? StoreWithRetries(valid, stoppingToken) : store.Store(valid);
                recentEvents.Record(valid, timeProvider.GetUtcNow());
            }
            catch (EventStoreRejectedException ex) when (retry)
            {
                stored = StoreOneByOne(valid, records, ex.Message, stoppingToken);
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

            metrics.RecordBatch(timeProvider.GetElapsedTime(_batchStarted));
            activity?.SetTag("kafkaingestion.events.stored", stored.Inserted);
            activity?.SetTag("kafkaingestion.events.duplicates", stored.Duplicates);
        }

        StoreOffsets();
        _batch.Clear();
    }

    /// <summary>
    /// The store refused the batch because of something in it: each event is stored on its own
    /// so the good ones are kept, and one the store still refuses after
    /// <see cref="ConsumerOptions.MaxAttempts"/> tries goes to the dead-letter topic, so one bad
    /// event never blocks its partition.
    /// </summary>
    private StoreResult StoreOneByOne(List<ConsumedEvent> events, List<ConsumeResult<string?, byte[]>> records, string batchError, CancellationToken stoppingToken)
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
                    var stored = StoreWithRetries([events[i]], stoppingToken);
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
                    if (stoppingToken.WaitHandle.WaitOne(delay))
                    {
                        stoppingToken.ThrowIfCancellationRequested();
                    }
                }
                catch (EventStoreRejectedException ex)
                {
                    deadLetters.Write(records[i], ex.Message, attempt, firstFailedAt, stoppingToken);
                    counters.RecordDeadLettered();
                    loopState.RecordError(ex.Message);
                    break;
                }
            }
        }

        return new StoreResult(inserted, duplicates);
    }

    private StoreResult StoreWithRetries(List<ConsumedEvent> events, CancellationToken stoppingToken)
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
                if (stoppingToken.WaitHandle.WaitOne(delay))
                {
                    stoppingToken.ThrowIfCancellationRequested();
                }
            }
        }
    }

    private TimeSpan Backoff(int attempt)
    {
        var ceiling = Math.Min(options.Value.MaxRetryDelay.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(attempt, 20)));
        return TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }

    private void StoreOffsets()
    {
        // The next offset to read, per partition: one past the last record handled.
        foreach (var last in _batch.GroupBy(r => r.TopicPartition).Select(g => g.MaxBy(r => r.Offset.Value)!))
        {
            consumer.StoreOffset(new TopicPartitionOffset(last.TopicPartition, last.Offset + 1));
        }
    }

    private void TryFinalFlush()
    {
        if (_batch.Count == 0)
        {
            return;
        }

        try
        {
            using var shortWait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            Flush(retry: false, shortWait.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or EventStoreUnavailableException or EventStoreRejectedException or KafkaException)
        {
            LogFinalFlushSkipped(logger, _batch.Count, ex.Message);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shutting down with {Events} events not stored ({Reason}); they will be delivered again")]
    private static partial void LogFinalFlushSkipped(ILogger logger, int events, string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The consume loop stopped on an error; offsets of unhandled records were not stored")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumer closed; stored offsets committed")]
    private static partial void LogStopped(ILogger logger);
}
