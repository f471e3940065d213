using KafkaIngestion.Consumer.Consuming;

namespace KafkaIngestion.Tests.Consumer;

public sealed class RetryBackoffTests
{
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(1, 200)]
    [InlineData(2, 400)]
    [InlineData(3, 800)]
    [InlineData(6, 6_400)]
    public void EachAttemptWaitsBetweenHalfAndAllOfADoublingCeiling(int attempt, double ceilingMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(ceilingMs / 2), RetryBackoff.Delay(attempt, Max, random: 0));
        Assert.Equal(TimeSpan.FromMilliseconds(ceilingMs * 3 / 4), RetryBackoff.Delay(attempt, Max, random: 0.5));
        Assert.True(RetryBackoff.Delay(attempt, Max, random: 0.999_999) < TimeSpan.FromMilliseconds(ceilingMs));
    }

    [Theory]
    [InlineData(7)]
    [InlineData(30)]
    [InlineData(int.MaxValue)]
    public void TheCeilingIsTheLongestRetryDelayHoweverManyAttempts(int attempt)
    {
        Assert.Equal(TimeSpan.FromSeconds(5), RetryBackoff.Delay(attempt, Max, random: 0));
        var longest = RetryBackoff.Delay(attempt, Max, random: 0.999_999);
        Assert.True(longest < Max && longest > TimeSpan.FromSeconds(9.99), $"{longest}");
    }

    [Fact]
    public void AShortLongestDelayCapsEvenTheFirstAttempt()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(25), RetryBackoff.Delay(1, TimeSpan.FromMilliseconds(50), random: 0));
    }

    [Fact]
    public void TheJitterIsDrawnWithinTheBounds()
    {
        var delays = Enumerable.Range(0, 200).Select(_ => RetryBackoff.Delay(2, Max)).ToList();

        Assert.All(delays, d => Assert.InRange(d, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400)));
        // Jitter: members that failed together do not all retry at the same moment.
        Assert.True(delays.Distinct().Count() > 1);
    }
}
