using System.ComponentModel.DataAnnotations;
using KafkaIngestion.Api.Input;
using KafkaIngestion.Events;

namespace KafkaIngestion.Api;

/// <summary>How the API takes and writes events, bound from <c>Ingestion</c>.</summary>
internal sealed class IngestionOptions : IValidatableObject
{
    public const string Section = "Ingestion";

    /// <summary>The topic events are written to.</summary>
    [Required, MinLength(1)]
    public string Topic { get; set; } = "events";

    /// <summary>The CloudEvents <c>source</c> given to <c>/register_event</c> events that do not name one.</summary>
    [Required, MinLength(1)]
    public string DefaultSource { get; set; } = "/register_event";

    /// <summary>
    /// How events are laid out in their Kafka records (CloudEvents Kafka binding): <c>Binary</c>,
    /// attributes as <c>ce_*</c> headers and the data as the value, or <c>Structured</c>, the whole
    /// event as one JSON value with a single <c>content-type</c> header, which the client hands to
    /// librdkafka with far fewer native calls (BENCHMARKS.md, "Structured content mode"). The
    /// consumer reads both, record by record.
    /// </summary>
    [EnumDataType(typeof(KafkaContentMode))]
    public KafkaContentMode KafkaContentMode { get; set; } = KafkaContentMode.Binary;

    /// <summary>The defaults and limits every event read from a request at <paramref name="now"/> is built with.</summary>
    public EventDefaults EventDefaultsAt(DateTimeOffset now) => new(DefaultSource, now, MaxEventBytes, MaxRecordBytes, KafkaContentMode);

    /// <summary>Largest request body; larger ones get 413.</summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Largest payload of one event (Kafka's default record limit is 1 MB).</summary>
    [Range(1, 64 * 1024 * 1024)]
    public int MaxEventBytes { get; set; } = 900 * 1024;

    /// <summary>
    /// Largest Kafka record one event may become: data, key and attributes (headers or JSON) plus
    /// <see cref="Input.EventDraft.RecordOverheadBytes"/>. Larger events are refused as invalid
    /// (400, or "rejected" in a batch) instead of failing at the broker on every resend. It is
    /// also the producer's message.max.bytes; the default is Kafka's own default. Raise it only
    /// together with the topic's max.message.bytes.
    /// </summary>
    [Range(64 * 1024, 64 * 1024 * 1024)]
    public int MaxRecordBytes { get; set; } = 1_000_000;

    /// <summary>
    /// Request bytes worked on at once; further requests wait (up to <see cref="PublishTimeout"/>)
    /// and are then answered 503. Bounds the API's memory under any load: memory grows with the
    /// bytes in flight, not with connections. The default is sized for two cores; see
    /// BENCHMARKS.md, "What the figures say" (Memory).
    /// </summary>
    [Range(64 * 1024, int.MaxValue)]
    public int MaxInFlightBytes { get; set; } = 1024 * 1024;

    /// <summary>Most events in one batch; more get 413.</summary>
    [Range(1, 100_000)]
    public int MaxBatchEvents { get; set; } = 5_000;

    /// <summary>
    /// How long an event may wait for the broker's acknowledgement, including time waiting for
    /// room in a full producer queue. Past it the answer is 503 and the event is not accepted.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>What 503 answers put in <c>Retry-After</c>.</summary>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>
    /// Keys accepted in the <c>X-Api-Key</c> header. When there are none, ingestion is open
    /// (the AppHost always sets one).
    /// </summary>
    public List<string> ApiKeys { get; set; } = [];

    /// <summary>Requests per second each API key may make; 0 means no limit.</summary>
    [Range(0, 10_000_000)]
    public int RateLimitPerSecond { get; set; }

    /// <summary>Requests a key may make at once above its steady rate; default: one second's worth.</summary>
    [Range(0, 10_000_000)]
    public int RateLimitBurst { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxEventBytes + Input.EventDraft.RecordOverheadBytes > MaxRecordBytes)
        {
            yield return new ValidationResult(
                $"Ingestion:MaxEventBytes ({MaxEventBytes}) leaves no room for the attributes within Ingestion:MaxRecordBytes ({MaxRecordBytes}).",
                [nameof(MaxEventBytes), nameof(MaxRecordBytes)]);
        }
    }
}
