using System.Globalization;
using System.Text;
using Confluent.Kafka;
using KafkaIngestion.Consumer.Consuming;
using KafkaIngestion.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Consumer;

/// <summary>
/// Moves a record that cannot be processed to the dead-letter topic, unchanged, with headers
/// that say why and where it came from. The consumer stores the record's offset only after
/// this write is acknowledged, so a record is never both skipped and lost.
/// </summary>
internal sealed partial class DeadLetterWriter(
    IProducer<string?, byte[]> producer,
    IOptions<ConsumerOptions> options,
    PayloadLog payloads,
    ILogger<DeadLetterWriter> logger)
{
    /// <summary>Every header this writer adds starts with it, so reprocessing can take them off again.</summary>
    public const string HeaderPrefix = "dlq_";
    public const string ErrorHeader = "dlq_error";
    public const string OriginalTopicHeader = "dlq_original_topic";
    public const string OriginalPartitionHeader = "dlq_original_partition";
    public const string OriginalOffsetHeader = "dlq_original_offset";
    public const string FailedAtHeader = "dlq_failed_at";
    public const string AttemptsHeader = "dlq_attempts";

    /// <param name="attempts">How many times processing was tried (1 for records that can never be valid).</param>
    /// <param name="firstFailedAt">When processing first failed.</param>
    public void Write(RecordCopy record, string reason, int attempts, DateTimeOffset firstFailedAt, CancellationToken cancellationToken)
    {
        var message = new Message<string?, byte[]>
        {
            Key = record.Key,
            Value = record.Value,
            Headers = record.UnpackHeaders(),
        };
        message.Headers.Add(ErrorHeader, Encoding.UTF8.GetBytes(reason));
        message.Headers.Add(OriginalTopicHeader, Encoding.UTF8.GetBytes(record.Topic));
        message.Headers.Add(OriginalPartitionHeader, Encoding.UTF8.GetBytes(record.Partition.ToString(CultureInfo.InvariantCulture)));
        message.Headers.Add(OriginalOffsetHeader, Encoding.UTF8.GetBytes(record.Offset.ToString(CultureInfo.InvariantCulture)));
        message.Headers.Add(FailedAtHeader, Encoding.UTF8.GetBytes(firstFailedAt.ToString("O", CultureInfo.InvariantCulture)));
        message.Headers.Add(AttemptsHeader, Encoding.UTF8.GetBytes(attempts.ToString(CultureInfo.InvariantCulture)));

        var writeAttempts = options.Value.DeadLetterAttempts;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // Blocking on purpose: this runs on the consume thread (records that are not
                // valid events) or on the store thread (events the store keeps refusing), and
                // neither may move on until the record is safe in the dead-letter topic.
                producer.ProduceAsync(options.Value.DeadLetterTopic, message, cancellationToken).GetAwaiter().GetResult();
                LogDeadLettered(logger, record.TopicPartitionOffset, reason);
                // The record's value only with Telemetry:LogPayloads, at Debug.
                payloads.DeadLettered(record.TopicPartitionOffset.ToString(), reason, record.Value);
                return;
            }
            catch (ProduceException<string?, byte[]> ex) when (attempt < writeAttempts)
            {
                LogRetrying(logger, record.TopicPartitionOffset, attempt, writeAttempts, ex.Error.Reason);
                cancellationToken.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(200 * Math.Pow(2, attempt)));
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Record {Record} moved to the dead-letter topic: {Reason}")]
    private static partial void LogDeadLettered(ILogger logger, TopicPartitionOffset record, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-letter write for {Record} failed (attempt {Attempt} of {Attempts}): {Reason}")]
    private static partial void LogRetrying(ILogger logger, TopicPartitionOffset record, int attempt, int attempts, string reason);
}
