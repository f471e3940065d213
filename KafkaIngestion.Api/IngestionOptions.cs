using System.ComponentModel.DataAnnotations;

namespace KafkaIngestion.Api;

/// <summary>How the API writes events, bound from <c>Ingestion</c>.</summary>
internal sealed class IngestionOptions
{
    public const string Section = "Ingestion";

    /// <summary>The topic events are written to.</summary>
    [Required, MinLength(1)]
    public string Topic { get; set; } = "events";

    /// <summary>The CloudEvents <c>source</c> given to events that do not name one.</summary>
    [Required, MinLength(1)]
    public string DefaultSource { get; set; } = "/register_event";

    /// <summary>What 503 answers put in <c>Retry-After</c>.</summary>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; set; } = 1;
}
