using System.Diagnostics;
using Confluent.Kafka;
using KafkaIngestion.Consumer.Storage;
using KafkaIngestion.Events;
using KafkaIngestion.ServiceDefaults.Kafka;

namespace KafkaIngestion.Consumer.Consuming;

/// <summary>
/// Turns a cut batch of records into events for the store, on the consume thread: records that
/// are not valid events go to the dead-letter topic (retrying cannot help, and acknowledging them
/// silently would hide them), and the producers' trace contexts are collected for the process span.
/// </summary>
internal sealed class BatchPreparer(DeadLetterWriter deadLetters, ConsumerCounters counters, TimeProvider timeProvider)
{
    /// <param name="started">When the batch's first record was read (a <see cref="TimeProvider"/> timestamp).</param>
    /// <param name="epoch">The ledger's epoch when the batch was cut.</param>
    public PendingBatch Prepare(List<ConsumeResult<string?, byte[]>> records, long started, int epoch, CancellationToken cancellationToken)
    {
        var valid = new List<ConsumedEvent>(records.Count);
        var validRecords = new List<RecordCopy>(records.Count);
        var producers = new List<ActivityContext>();
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
                validRecords.Add(RecordCopy.Of(record));
            }
            else
            {
                deadLetters.Write(RecordCopy.Of(record), error!, attempts: 1, timeProvider.GetUtcNow(), cancellationToken);
                counters.RecordDeadLettered();
            }
        }

        return new PendingBatch(records.Count, valid, validRecords, producers, started, BatchOffsets.Of(records, epoch));
    }
}
