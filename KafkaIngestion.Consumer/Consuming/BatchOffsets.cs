using Confluent.Kafka;

namespace KafkaIngestion.Consumer.Consuming;

/// <summary>
/// The offsets one batch covers, per partition its first and last record, and the
/// <see cref="OffsetLedger.Epoch"/> it was read in. Worked out once per batch, so neither the
/// ledger nor the store holds on to records for it.
/// </summary>
internal sealed class BatchOffsets
{
    private readonly string _topic;

    // Keyed by partition number: a batch holds records of the one subscribed topic, and
    // ConsumeResult builds a new TopicPartition on every read of that property.
    private readonly Dictionary<int, (long First, long Last)> _ranges;

    private BatchOffsets(string topic, Dictionary<int, (long First, long Last)> ranges, int epoch)
    {
        _topic = topic;
        _ranges = ranges;
        Epoch = epoch;
    }

    public int Epoch { get; }

    /// <param name="records">Records of one topic, in any order.</param>
    public static BatchOffsets Of(IReadOnlyList<ConsumeResult<string?, byte[]>> records, int epoch)
    {
        var ranges = new Dictionary<int, (long First, long Last)>();
        foreach (var record in records)
        {
            var offset = record.Offset.Value;
            ranges[record.Partition.Value] = ranges.TryGetValue(record.Partition.Value, out var range)
                ? (Math.Min(range.First, offset), Math.Max(range.Last, offset))
                : (offset, offset);
        }

        return new BatchOffsets(records.Count > 0 ? records[0].Topic : "", ranges, epoch);
    }

    /// <summary>Per partition, the first record of the batch: where to read again if it is not stored.</summary>
    public IEnumerable<TopicPartitionOffset> First() =>
        _ranges.Select(r => new TopicPartitionOffset(_topic, r.Key, r.Value.First));

    /// <summary>Per partition, one past the last record: the offset to store once the batch is stored.</summary>
    public IEnumerable<TopicPartitionOffset> Next() =>
        _ranges.Select(r => new TopicPartitionOffset(_topic, r.Key, r.Value.Last + 1));
}
