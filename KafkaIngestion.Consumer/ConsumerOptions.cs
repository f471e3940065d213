using System.ComponentModel.DataAnnotations;

namespace KafkaIngestion.Consumer;

/// <summary>What the consumer reads and how it treats failures, bound from <c>Consumer</c>.</summary>
internal sealed class ConsumerOptions
{
    public const string Section = "Consumer";

    /// <summary>Consumer group; partitions are shared among its members.</summary>
    public const string DefaultGroupId = "event-processors";

    [Required, MinLength(1)]
    public string Topic { get; set; } = "events";

    /// <summary>Where records that cannot be processed go, with the reason in headers.</summary>
    [Required, MinLength(1)]
    public string DeadLetterTopic { get; set; } = "events.dlq";

    /// <summary>How many times a dead-letter write is tried before the consumer stops rather than skip a record.</summary>
    [Range(1, 100)]
    public int DeadLetterAttempts { get; set; } = 5;

    /// <summary>How many processed ids are remembered for lookups (oldest forgotten first); bounds memory.</summary>
    [Range(1, 50_000_000)]
    public int RememberedIds { get; set; } = 1_000_000;
}
