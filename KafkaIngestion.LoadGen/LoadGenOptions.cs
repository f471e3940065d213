using System.ComponentModel.DataAnnotations;

namespace KafkaIngestion.LoadGen;

/// <summary>One run of the load generator, bound from <c>LoadGen</c> (or <c>--LoadGen:Events 500</c>).</summary>
internal sealed class LoadGenOptions
{
    public const string Section = "LoadGen";

    /// <summary>How many events to send; the original design's figure is 10,000.</summary>
    [Range(1, 100_000_000)]
    public int Events { get; set; } = 10_000;

    /// <summary>How many requests are in flight at once (closed loop).</summary>
    [Range(1, 10_000)]
    public int Concurrency { get; set; } = 64;

    /// <summary>
    /// The API's base address. A service name (the AppHost sets <c>http://api</c>) is resolved
    /// through service discovery; the default suits a terminal next to a running AppHost.
    /// </summary>
    [Required]
    public Uri TargetUrl { get; set; } = new("http://localhost:5080");

    /// <summary>How many distinct partition keys the events spread over.</summary>
    [Range(1, 10_000_000)]
    public int Keys { get; set; } = 1_000;

    /// <summary>Sent as <c>X-Api-Key</c> when set; the AppHost hands over the API's key.</summary>
    public string? ApiKey { get; set; }

    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
