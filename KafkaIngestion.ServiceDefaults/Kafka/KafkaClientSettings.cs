using System.ComponentModel.DataAnnotations;

namespace KafkaIngestion.ServiceDefaults.Kafka;

/// <summary>
/// Settings of one Kafka client (producer or consumer), bound from <c>Kafka:Producer</c> or
/// <c>Kafka:Consumer</c>. The connection string comes from <c>ConnectionStrings:{name}</c>
/// unless the section sets one itself.
/// </summary>
public sealed class KafkaClientSettings
{
    [Required(ErrorMessage = "No Kafka connection string: set ConnectionStrings:kafka (the AppHost does this for referenced services).")]
    public string? ConnectionString { get; set; }

    /// <summary>librdkafka properties (for example <c>linger.ms</c>) that override the service's defaults.</summary>
    public Dictionary<string, string> Config { get; set; } = [];

    /// <summary>How long a health probe waits for cluster metadata.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan HealthCheckTimeout { get; set; } = TimeSpan.FromSeconds(3);

    public bool DisableHealthChecks { get; set; }
}
