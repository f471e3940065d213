namespace KafkaIngestion.Events;

/// <summary>
/// One event as it travels through the system: the CloudEvents context attributes we use and
/// the payload bytes. <see cref="Id"/> is the idempotency key everywhere downstream.
/// </summary>
/// <param name="Key">The partition key: events with the same key keep their order.</param>
/// <param name="Data">The payload as sent (JSON bytes for <c>application/json</c>); empty when absent.</param>
public sealed record IngestEvent(
    string Id,
    string Type,
    string Source,
    string? Key,
    DateTimeOffset Time,
    byte[] Data,
    string DataContentType = IngestEvent.JsonContentType)
{
    public const string JsonContentType = "application/json";
}
