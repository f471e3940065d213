using KafkaIngestion.Http;

namespace KafkaIngestion.Api.Input;

/// <summary>
/// What compressed bodies of each coding have recently inflated to, relative to their size on
/// the wire: a compressed body is admitted to the in-flight budget at the size it is expected to
/// decode to, so that its admission seldom has to grow (which, under load, means queueing again).
/// </summary>
/// <remarks>
/// A moving average over the bodies decoded, per coding. Updates race harmlessly: a lost update
/// only makes one estimate a little staler. A wrong estimate costs time, never correctness: too
/// low, the admission grows while decoding; too high, the request holds more room than it uses.
/// Bodies refused as too large do not count, so a bomb cannot inflate the estimate.
/// </remarks>
internal sealed class CompressionRatios
{
    /// <summary>Before anything was decoded: JSON batches inflate 4 to 60 times.</summary>
    public const double Initial = 4;

    /// <summary>Highest ratio an estimate takes, however repetitive the bodies.</summary>
    public const double Max = 64;

    // Indexed by ContentCoding; identity is never estimated.
    private readonly double[] _ratios = [1, Initial, Initial, Initial, Initial];

    /// <summary>Shared by every request of the process.</summary>
    public static CompressionRatios Shared { get; } = new();

    public double Ratio(ContentCoding coding) => Volatile.Read(ref _ratios[(int)coding]);

    /// <summary>What a body of <paramref name="wireBytes"/> is admitted at: itself (held while decoding) and what it should decode to.</summary>
    public long ExpectedBytes(ContentCoding coding, long wireBytes) => (long)(wireBytes * (1 + Ratio(coding)));

    /// <summary>A body of <paramref name="wireBytes"/> decoded to <paramref name="decodedBytes"/>.</summary>
    public void Observe(ContentCoding coding, long wireBytes, long decodedBytes)
    {
        if (coding == ContentCoding.Identity || wireBytes <= 0)
        {
            return;
        }

        var observed = Math.Clamp((double)decodedBytes / wireBytes, 1, Max);
        var ratio = Ratio(coding);
        Volatile.Write(ref _ratios[(int)coding], ratio + (observed - ratio) / 8);
    }
}
