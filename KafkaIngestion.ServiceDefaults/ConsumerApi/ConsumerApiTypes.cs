using System.Text.Json;
using System.Text.Json.Serialization;

namespace KafkaIngestion.ConsumerApi;

// The consumer's HTTP API as it is on the wire, written by the consumer and read by the API's web
// console, the load generator, the AppHost's dashboard commands and the tests (all through
// ConsumerApiClient): one definition, so they cannot drift apart.

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

/// <summary>Ask which of these event ids are stored (<c>POST /processed/query</c>).</summary>
/// <param name="IncludeDelays">Also say, per stored id, how long after its acceptance it was stored.</param>
public sealed record ProcessedQuery(IReadOnlyList<string>? Ids, bool IncludeDelays = false)
{
    /// <summary>The most ids one query may ask about.</summary>
    public const int MaxIds = 10_000;
}

/// <param name="TimesProcessed">Per id: how many times the store holds the event (1 when stored, 0 when not; never more unless the store broke its promise).</param>
/// <param name="StoredAfterMs">When asked: per stored id, milliseconds from the event's time (its acceptance by the API unless the sender set a time) to its storage.</param>
public sealed record ProcessedQueryResult(IReadOnlyDictionary<string, int> TimesProcessed, IReadOnlyDictionary<string, double>? StoredAfterMs = null);

/// <summary>Where to replay from (<c>POST /replay</c>): <c>earliest</c>, or an RFC 3339 time.</summary>
public sealed record ReplayRequest(string? From)
{
    public const string Earliest = "earliest";
}

/// <summary>The answer to <c>POST /dead-letters/reprocess</c>.</summary>
/// <param name="Reprocessed">Dead-letter records sent back to the events topic.</param>
public sealed record DeadLetterReprocessResult(int Reprocessed);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ConsumerStatus))]
[JsonSerializable(typeof(RecentEventsResult))]
[JsonSerializable(typeof(ProcessedQuery))]
[JsonSerializable(typeof(ProcessedQueryResult))]
[JsonSerializable(typeof(ReplayRequest))]
[JsonSerializable(typeof(DeadLetterReprocessResult))]
public sealed partial class ConsumerApiJsonContext : JsonSerializerContext;
