using System.ComponentModel.DataAnnotations;

namespace KafkaIngestion.Api.WebConsole;

/// <summary>What the web console at <c>/</c> shows and where it gets the consumer's figures; bound from <c>Console</c>.</summary>
internal sealed class ConsoleOptions
{
    public const string Section = "Console";

    /// <summary>
    /// How Kafka is provided (<c>container</c>, <c>embedded</c>, <c>external</c>), set by the
    /// AppHost. Shown as is; the console warns that an embedded broker keeps data in memory only.
    /// Unknown when the API runs on its own.
    /// </summary>
    [AllowedValues(null, "container", "embedded", "external")]
    public string? BrokerMode { get; set; }

    /// <summary>The consumer's base address (resolved by service discovery under the AppHost).</summary>
    [Required]
    public Uri ConsumerUrl { get; set; } = new("http://consumer");

    /// <summary>How long one poll of the consumer may take; past it the console says the consumer is unreachable.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:05")]
    public TimeSpan PollTimeout { get; set; } = TimeSpan.FromMilliseconds(800);

    /// <summary>Rows of the recent-events table.</summary>
    [Range(1, 50)]
    public int RecentEvents { get; set; } = 20;
}
