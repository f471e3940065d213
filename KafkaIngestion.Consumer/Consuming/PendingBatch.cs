using System.Diagnostics;
using Confluent.Kafka;
using KafkaIngestion.Consumer.Storage;

namespace KafkaIngestion.Consumer.Consuming;

/// <summary>A batch on its way to the store: the records (for offsets) and the valid events in them.</summary>
internal sealed class PendingBatch(
    List<ConsumeResult<string?, byte[]>> records,
    List<ConsumedEvent> valid,
    List<ConsumeResult<string?, byte[]>> validRecords,
    List<ActivityContext> producers,
    long started,
    BatchOffsets offsets)
{
    public List<ConsumeResult<string?, byte[]>> Records { get; } = records;

    public List<ConsumedEvent> Valid { get; } = valid;

    /// <summary>The records of <see cref="Valid"/>, index for index (a refused event is dead-lettered as its record).</summary>
    public List<ConsumeResult<string?, byte[]>> ValidRecords { get; } = validRecords;

    /// <summary>Trace contexts of the producers, linked from the process span.</summary>
    public List<ActivityContext> Producers { get; } = producers;

    /// <summary>When the batch's first record was read (a <see cref="TimeProvider"/> timestamp).</summary>
    public long Started { get; } = started;

    public BatchOffsets Offsets { get; } = offsets;

    /// <summary>Set by the store thread before it hands the batch back.</summary>
    public bool Stored { get; set; }
}
