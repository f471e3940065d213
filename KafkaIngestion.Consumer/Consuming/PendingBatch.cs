using System.Diagnostics;
using KafkaIngestion.Consumer.Storage;

namespace KafkaIngestion.Consumer.Consuming;

/// <summary>
/// A batch on its way to the store: the valid events in it and, index for index, copies of their
/// records. The records themselves are not kept: once read as events they are dropped, so what
/// waits in the store queue is as small as the events.
/// </summary>
internal sealed class PendingBatch(
    int recordCount,
    List<ConsumedEvent> valid,
    List<RecordCopy> validRecords,
    List<ActivityContext> producers,
    long started,
    BatchOffsets offsets)
{
    /// <summary>How many records the batch was cut from, dead-lettered ones included.</summary>
    public int RecordCount { get; } = recordCount;

    public List<ConsumedEvent> Valid { get; } = valid;

    /// <summary>The records of <see cref="Valid"/>, index for index (a refused event is dead-lettered as its record).</summary>
    public List<RecordCopy> ValidRecords { get; } = validRecords;

    /// <summary>Trace contexts of the producers, linked from the process span.</summary>
    public List<ActivityContext> Producers { get; } = producers;

    /// <summary>When the batch's first record was read (a <see cref="TimeProvider"/> timestamp).</summary>
    public long Started { get; } = started;

    public BatchOffsets Offsets { get; } = offsets;

    /// <summary>Set by the store thread before it hands the batch back.</summary>
    public bool Stored { get; set; }
}
