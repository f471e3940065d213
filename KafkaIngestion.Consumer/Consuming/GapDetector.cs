using Confluent.Kafka;

namespace KafkaIngestion.Consumer.Consuming;

/// <summary>Offsets skipped over in one partition: records that left the broker before they were read.</summary>
internal readonly record struct OffsetGap(TopicPartition TopicPartition, long From, long To)
{
    public long Missing => To - From + 1;
}

/// <summary>
/// Offsets of one partition are consecutive (the topic is neither compacted nor written in
/// transactions), so a record further on than expected means the records in between left the
/// broker before this group read them: reported, never hidden.
/// </summary>
/// <param name="committedOffset">
/// The group's committed offset of a partition (<see cref="Offset.Unset"/> if it never
/// committed); asked once per partition after an assignment, a rewind or a replay. It may throw
/// <see cref="KafkaException"/>.
/// </param>
internal sealed class GapDetector(Func<TopicPartition, Offset> committedOffset)
{
    private readonly Dictionary<TopicPartition, long> _next = [];

    /// <summary>Notes a record read; returns the offsets skipped over just before it, if any.</summary>
    public OffsetGap? Observe(TopicPartition topicPartition, long offset)
    {
        if (!_next.TryGetValue(topicPartition, out var expected))
        {
            // First record since assignment: continue from the group's committed offset, or from
            // the partition's start for a group that never committed.
            try
            {
                var committed = committedOffset(topicPartition);
                expected = committed == Offset.Unset ? 0 : committed.Value;
            }
            catch (KafkaException)
            {
                // The committed offset could not be read: start gap detection from here rather
                // than stop consuming.
                expected = offset;
            }
        }

        _next[topicPartition] = offset + 1;
        return offset > expected ? new OffsetGap(topicPartition, expected, offset - 1) : null;
    }

    /// <summary>The partition was revoked, lost, rewound or replayed: its next record sets the expectation again.</summary>
    public void Forget(TopicPartition topicPartition) => _next.Remove(topicPartition);
}
