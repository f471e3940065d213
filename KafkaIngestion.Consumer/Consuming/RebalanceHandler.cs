using Confluent.Kafka;

namespace KafkaIngestion.Consumer.Consuming;

/// <summary>
/// What happens when partitions leave this member. librdkafka calls it inside <c>Consume</c>, on
/// the consume thread.
/// </summary>
internal sealed class RebalanceHandler(
    IConsumer<string?, byte[]> consumer,
    BatchHandOff handOff,
    OffsetLedger ledger,
    PartitionPause pause,
    GapDetector gaps,
    ILogger logger)
{
    /// <summary>
    /// Before partitions move to another member: what was read from them is stored and committed
    /// first, so the new owner starts exactly after it.
    /// </summary>
    public void Revoked(IConsumer<string?, byte[]> revokedFrom, List<TopicPartitionOffset> partitions, CancellationToken stopping)
    {
        // One attempt per batch only: a rebalance must not wait on a failing store. A batch that
        // is not stored keeps its offsets (and those of every batch after it) unstored, so the
        // partitions' next owner reads it again.
        handOff.Drain(stopping);

        try
        {
            revokedFrom.Commit();
        }
        catch (KafkaException ex)
        {
            // Nothing new to commit, or membership already lost (the next owner then re-reads
            // from the last commit, which the idempotent store makes harmless).
            ConsumerLog.CommitOnRevokeFailed(logger, ex.Error.Reason);
        }

        foreach (var partition in partitions)
        {
            gaps.Forget(partition.TopicPartition);
        }

        // With cooperative rebalancing some partitions stay: they are resumed here (the queue is
        // empty now), and rewound to their first record given up on above; otherwise the loop
        // would continue after it and those events would be skipped until the next restart or
        // rebalance.
        var revoked = partitions.Select(p => p.TopicPartition).ToHashSet();
        var kept = consumer.Assignment.Where(p => !revoked.Contains(p)).ToList();
        pause.ResumeKept(kept);
        foreach (var rewind in ledger.Rewind(kept))
        {
            consumer.Seek(rewind);
            gaps.Forget(rewind.TopicPartition);
            ConsumerLog.Rewound(logger, rewind.TopicPartition, rewind.Offset.Value);
        }

        ConsumerLog.Revoked(logger, partitions.Count);
    }

    /// <summary>
    /// This member was dropped from the group: the partitions already belong to someone else, so
    /// nothing may be committed. The records in hand are dropped unstored and batches already
    /// handed to the store will not store offsets; the new owner reads them again.
    /// </summary>
    public void Lost(List<TopicPartitionOffset> partitions)
    {
        var unstored = handOff.DropInHand();
        // Their results no longer count (a new epoch), so they need not be waited for.
        ledger.Lost();
        ConsumerLog.Lost(logger, partitions.Count, unstored);
        pause.Forget();
        foreach (var partition in partitions)
        {
            gaps.Forget(partition.TopicPartition);
        }
    }
}
