namespace KafkaIngestion.Events;

/// <summary>
/// One event as it travels through the system: its CloudEvents 1.0 context attributes and the
/// payload bytes. <see cref="Id"/> is the idempotency key everywhere downstream.
/// </summary>
/// <param name="Key">The partition key (CloudEvents <c>partitionkey</c>): events with the same key keep their order.</param>
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

    public string? Subject { get; init; }

    public string? DataSchema { get; init; }

    /// <summary>Extension attributes other than <c>partitionkey</c>, by lower-case name, values in their string form.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Extensions { get; init; } = [];
}
