namespace KafkaIngestion.Consumer.Consuming;

/// <summary>How long the store thread waits before trying a failed write again.</summary>
internal static class RetryBackoff
{
    /// <summary>
    /// Exponential (100 ms × 2^attempt, so 200 ms after the first failure) up to
    /// <paramref name="max"/>, of which a random half is jitter, so members that failed together
    /// do not retry in step.
    /// </summary>
    /// <param name="attempt">The attempt that failed, from 1.</param>
    /// <param name="random">A sample in [0, 1).</param>
    public static TimeSpan Delay(int attempt, TimeSpan max, double random)
    {
        var ceiling = Math.Min(max.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(attempt, 20)));
        return TimeSpan.FromMilliseconds(ceiling / 2 + random * ceiling / 2);
    }

    public static TimeSpan Delay(int attempt, TimeSpan max) => Delay(attempt, max, Random.Shared.NextDouble());
}
