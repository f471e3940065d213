using KafkaIngestion.ServiceDefaults.Tracing;
using Microsoft.Extensions.Time.Testing;

namespace KafkaIngestion.Tests.ServiceDefaults;

public sealed class TraceRateLimiterTests
{
    [Fact]
    public void AFullBucketAllowsABurstOfTheRateAndThenNothingUntilTimePasses()
    {
        var limiter = new TraceRateLimiter(10, new FakeTimeProvider());

        Assert.Equal(10, Acquired(limiter, 100));
    }

    [Fact]
    public void TokensComeBackAtTheRate()
    {
        var time = new FakeTimeProvider();
        var limiter = new TraceRateLimiter(10, time);
        Acquired(limiter, 10);

        time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.False(limiter.TryAcquire());
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(limiter.TryAcquire());
        Assert.False(limiter.TryAcquire());

        time.Advance(TimeSpan.FromMilliseconds(450));
        Assert.Equal(4, Acquired(limiter, 100));
    }

    [Fact]
    public void AQuietSpellRefillsNoMoreThanTheBurst()
    {
        var time = new FakeTimeProvider();
        var limiter = new TraceRateLimiter(10, time);
        Acquired(limiter, 10);

        time.Advance(TimeSpan.FromHours(1));

        Assert.Equal(10, Acquired(limiter, 100));
    }

    [Fact]
    public void UnderSteadyLoadTheRateHolds()
    {
        var time = new FakeTimeProvider();
        var limiter = new TraceRateLimiter(10, time);
        var acquired = 0;

        // 1,000 requests a second for 10 s: the burst, then 10 a second.
        for (var i = 0; i < 10_000; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(1));
            acquired += limiter.TryAcquire() ? 1 : 0;
        }

        Assert.InRange(acquired, 10 + 99, 10 + 100);
    }

    [Fact]
    public void ZeroAllowsNone()
    {
        var time = new FakeTimeProvider();
        var limiter = new TraceRateLimiter(0, time);

        Assert.False(limiter.TryAcquire());
        time.Advance(TimeSpan.FromHours(1));
        Assert.False(limiter.TryAcquire());
    }

    [Fact]
    public void ANegativeRateIsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new TraceRateLimiter(-1, new FakeTimeProvider()));

    [Fact]
    public void ConcurrentCallersShareTheBucketWithoutLosingOrInventingTokens()
    {
        var time = new FakeTimeProvider();
        var limiter = new TraceRateLimiter(1_000, time);
        var acquired = 0;

        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                if (limiter.TryAcquire())
                {
                    Interlocked.Increment(ref acquired);
                }
            }
        });

        // The clock stood still: exactly the burst.
        Assert.Equal(1_000, acquired);
    }

    private static int Acquired(TraceRateLimiter limiter, int attempts) =>
        Enumerable.Range(0, attempts).Count(_ => limiter.TryAcquire());
}
