using Confluent.Kafka;
using KafkaIngestion.Events;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Api;

/// <summary>The broker's answer to one publish.</summary>
internal readonly record struct PublishOutcome(bool Stored, int Partition, long Offset, Error? Error);

/// <summary>
/// Writes events to Kafka and waits for the broker's acknowledgement, so that the API answers
/// 2xx only for events the broker durably holds.
/// </summary>
internal sealed partial class EventPublisher(
    IProducer<string?, byte[]> producer,
    IOptions<IngestionOptions> options,
    IngestionCounters counters,
    ILogger<EventPublisher> logger)
{
    public string Topic => options.Value.Topic;

    /// <summary>
    /// Durability first: every in-sync replica must have the event (acks=all) and retries may not
    /// duplicate or reorder it (idempotence). lz4 keeps more events inside a partition's
    /// retention window; a short linger batches concurrent requests. A bounded delivery timeout
    /// means a request for an unreachable broker ends in 503 instead of hanging.
    /// </summary>
    public static void ConfigureProducerDefaults(ProducerConfig config)
    {
        config.Acks = Acks.All;
        config.EnableIdempotence = true;
        config.CompressionType = CompressionType.Lz4;
        config.LingerMs = 5;
        config.MessageTimeoutMs = 10_000;
        config.SocketNagleDisable = true;
    }

    public async Task<PublishOutcome> PublishAsync(IngestEvent ingestEvent, CancellationToken cancellationToken)
    {
        try
        {
            var delivery = await producer.ProduceAsync(Topic, CloudEventKafkaBinding.ToMessage(ingestEvent), cancellationToken);
            counters.RecordAccepted();
            return new PublishOutcome(true, delivery.Partition.Value, delivery.Offset.Value, null);
        }
        catch (ProduceException<string?, byte[]> ex)
        {
            counters.RecordFailed();
            LogPublishFailed(logger, ingestEvent.Id, Topic, ex.Error.Code, ex.Error.Reason);
            return new PublishOutcome(false, -1, -1, ex.Error);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {EventId} was not stored in {Topic}: {Code} {Reason}")]
    private static partial void LogPublishFailed(ILogger logger, string eventId, string topic, ErrorCode code, string reason);
}
