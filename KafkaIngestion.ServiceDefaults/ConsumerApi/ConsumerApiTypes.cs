using System.Text.Json;
using System.Text.Json.Serialization;

namespace KafkaIngestion.ConsumerApi;

// The consumer's status answers, written by the consumer and read by the API's web console:
// one definition, so the two cannot drift apart.

/// <param name="Member">This replica's id in the consumer group (empty until it joined).</param>
public sealed record ConsumerStatus(
    string State,
    string Member,
    long Processed,
    long Duplicates,
    long DeadLettered,
    long GapEvents,
    long StoreRetries,
    long ConsumeErrors,
    string? LastError,
    DateTimeOffset? LastErrorAt,
    IReadOnlyList<PartitionLag> Partitions);

/// <param name="Lag">Records in the partition after this member's position; null until it has read from it.</param>
public sealed record PartitionLag(int Partition, long? Position, long? HighWatermark, long? Lag);

/// <summary>An event the consumer stored, as the web console's table of recent events shows it.</summary>
/// <param name="Data">The payload's start as text, or a note of its size when it is not text.</param>
public sealed record RecentEvent(
    string Id,
    string Type,
    string Source,
    string? Key,
    int Partition,
    long Offset,
    DateTimeOffset Time,
    DateTimeOffset StoredAt,
    string Data);

/// <param name="Events">Newest first.</param>
public sealed record RecentEventsResult(IReadOnlyList<RecentEvent> Events);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ConsumerStatus))]
[JsonSerializable(typeof(RecentEventsResult))]
public sealed partial class ConsumerApiJsonContext : JsonSerializerContext;
