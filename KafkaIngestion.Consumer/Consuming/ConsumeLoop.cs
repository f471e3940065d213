using System.Globalization;
using Confluent.Kafka;

namespace KafkaIngestion.Consumer.Consuming;

/// <summary>
/// The consume thread's loop: polls <c>events</c> in the consumer group, cuts micro-batches and
/// hands them to the store thread, pauses fetching while the store does not take them, serves
/// replay requests, and notes offset gaps. Rebalance callbacks run inside its <c>Consume</c> call.
/// </summary>
internal sealed class ConsumeLoop(
    IConsumer<string?, byte[]> consumer,
    BatchHandOff handOff,
    PartitionPause pause,
    GapDetector gaps,
    StoreQueue queue,
    ReplayRequests replays,
    ConsumerCounters counters,
    ConsumerLoopState loopState,
    ConsumerOptions options,
    ILogger logger)
{
    public static readonly TimeSpan CommittedLookupTimeout = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(100);

    // How long a full batch waits for room in the store queue before the consume thread pauses
    // its partitions and only polls. Short waits are the normal back-pressure of a store that is
    // slower than Kafka; pausing for those would throw away librdkafka's prefetched records.
    private static readonly TimeSpan PauseAfter = TimeSpan.FromSeconds(1);

    public void Run(CancellationToken stoppingToken)
    {
        consumer.Subscribe(options.Topic);
        loopState.Running();
        ConsumerLog.Started(logger, options.Topic, options.BatchSize, options.BatchMaxWait.TotalMilliseconds);

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (replays.TryTake(out var replayFrom))
                {
                    Replay(replayFrom);
                }

                handOff.StoreDoneOffsets();
                if (queue.Failure is { } failure)
                {
                    throw new InvalidOperationException("The store thread stopped: " + failure.Message, failure);
                }

                handOff.CutIfDue(stoppingToken);
                if (handOff.HasReady)
                {
                    if (handOff.TryHandOffReady(pause.Paused ? TimeSpan.Zero : PauseAfter))
                    {
                        if (pause.Paused)
                        {
                            pause.ResumeAll();
                        }
                    }
                    else if (!pause.Paused)
                    {
                        pause.PauseAll();
                    }
                }

                var wait = handOff.NextWait(IdlePoll);
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
                    ConsumerLog.ConsumeError(logger, ex.Error.Code, ex.Error.Reason);
                }

                if (record is { IsPartitionEOF: false })
                {
                    // ConsumeResult builds a new TopicPartition on every read of the property.
                    if (gaps.Observe(record.TopicPartition, record.Offset.Value) is { } gap)
                    {
                        counters.RecordGap(gap.Missing);
                        ConsumerLog.Gap(logger, gap.Missing, gap.TopicPartition, gap.From, gap.To);
                    }

                    // Even while paused a record may arrive (fetched just before the pause): it
                    // joins the next batch, so nothing read is ever dropped.
                    handOff.Add(record);
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
            handOff.Drain(shortWait.Token);
            // Commits the stored offsets and leaves the group at once, so partitions move to
            // the other members without waiting for a session timeout.
            consumer.Close();
            loopState.Stopped();
            ConsumerLog.Stopped(logger);
        }
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
                gaps.Forget(target.TopicPartition);
            }
        }
        catch (KafkaException ex)
        {
            ConsumerLog.ReplayFailed(logger, ex.Error.Reason);
            return;
        }

        ConsumerLog.Replay(logger, targets.Count, from == DateTimeOffset.MinValue ? "the earliest offset" : from.ToString("O", CultureInfo.InvariantCulture));
    }
}
