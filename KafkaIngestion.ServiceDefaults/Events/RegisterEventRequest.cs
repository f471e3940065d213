using System.Text.Json;
using System.Text.Json.Serialization;

namespace KafkaIngestion.Events;

/// <summary>
/// The body of <c>POST /register_event</c>: the original design's simple JSON event. Only
/// <see cref="Type"/> is required; the API fills in the rest.
/// </summary>
/// <param name="Id">Optional; a UUIDv7 is assigned when absent. Re-sending an id is idempotent downstream.</param>
/// <param name="Type">What happened, e.g. <c>order.created</c>.</param>
/// <param name="Source">Who says so; defaults to <c>/register_event</c>.</param>
/// <param name="Key">Partition key: events with the same key stay in order.</param>
/// <param name="Time">When it happened; defaults to when the API accepted it.</param>
/// <param name="Data">Any JSON value.</param>
public sealed record RegisterEventRequest(
    string? Id,
    string? Type,
    string? Source,
    string? Key,
    DateTimeOffset? Time,
    JsonElement? Data);

/// <summary>The answer to an accepted event: where the broker durably stored it.</summary>
public sealed record EventAccepted(string Id, string Topic, int Partition, long Offset);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RegisterEventRequest))]
[JsonSerializable(typeof(EventAccepted))]
public sealed partial class EventsJsonContext : JsonSerializerContext;
