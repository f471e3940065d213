using System.ComponentModel.DataAnnotations;

namespace KafkaIngestion.Api.WarmUp;

/// <summary>
/// The warm-up before readiness: requests through the API's own HTTP stack until the JIT has
/// compiled the hot paths, so the first real requests do not share two cores with it.
/// </summary>
internal sealed class WarmUpOptions
{
    public const string Section = "WarmUp";

    /// <summary>Off: <c>/health</c> is ready as soon as Kafka is, and the first requests pay for compilation.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The longest the warm-up may hold readiness back; it then ends wherever it is.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan MaxDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Connections sending warm-up requests at once.</summary>
    [Range(1, 64)]
    public int Connections { get; set; } = 4;

    /// <summary>Requests sent before the warm-up may end, however quiet the JIT already is.</summary>
    [Range(1, 100_000)]
    public int MinRequests { get; set; } = 2_000;

    /// <summary>A round that compiled fewer methods than this counts as quiet; two quiet rounds end the warm-up.</summary>
    [Range(0, 10_000)]
    public int QuietMethodsPerRound { get; set; } = 20;
}
