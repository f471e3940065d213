using Confluent.Kafka;

namespace KafkaIngestion.Consumer.Consuming;

/// <summary>
/// Pauses fetching while the store does not take batches (e.g. it is down) and resumes it when
/// it does again. While paused, Consume still runs: it keeps this member in the group beyond
/// max.poll.interval.ms and serves rebalances, but delivers no new records.
/// </summary>
internal sealed class PartitionPause(IConsumer<string?, byte[]> consumer, ILogger logger)
{
    public bool Paused { get; private set; }

    public void PauseAll()
    {
        var assignment = consumer.Assignment;
        consumer.Pause(assignment);
        Paused = true;
        ConsumerLog.Paused(logger, assignment.Count);
    }

    public void ResumeAll()
    {
        // librdkafka resumes fetching from the position after the last record it handed to us,
        // so every record read before the pause (all of them in a batch here) is followed by
        // the next one: nothing skipped, nothing read twice.
        consumer.Resume(consumer.Assignment);
        Paused = false;
        ConsumerLog.Resumed(logger);
    }

    /// <summary>
    /// After a revocation drained the queue: the partitions kept are resumed (the loop pauses
    /// them again if the store still does not take batches).
    /// </summary>
    public void ResumeKept(IReadOnlyCollection<TopicPartition> kept)
    {
        if (Paused && kept.Count > 0)
        {
            consumer.Resume(kept);
        }

        Paused = false;
    }

    /// <summary>The partitions were lost: nothing is paused any more.</summary>
    public void Forget() => Paused = false;
}
