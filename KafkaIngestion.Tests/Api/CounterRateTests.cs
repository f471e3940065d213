using KafkaIngestion.Api.WebConsole;

namespace KafkaIngestion.Tests.Api;

public sealed class CounterRateTests
{
    private static readonly TimeSpan MaxGap = TimeSpan.FromSeconds(5);

    [Fact]
    public void TheRateIsTheIncreaseOverTheTimeBetweenTwoReadings()
    {
        var rate = new CounterRate(MaxGap);

        rate.Next(100, TimeSpan.FromSeconds(10));
        var perSecond = rate.Next(400, TimeSpan.FromSeconds(12));

        Assert.Equal(150, perSecond);
    }

    [Fact]
    public void TheFirstReadingHasNoRate()
    {
        Assert.Null(new CounterRate(MaxGap).Next(1_000, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void AReadingLongAfterThePreviousOneStartsAnewInsteadOfAveragingOverTheGap()
    {
        var rate = new CounterRate(MaxGap);
        rate.Next(0, TimeSpan.Zero);

        Assert.Null(rate.Next(6_000, TimeSpan.FromMinutes(1)));
        Assert.Equal(10, rate.Next(6_010, TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void ACounterThatWentDownStartsAnewInsteadOfGivingANegativeRate()
    {
        var rate = new CounterRate(MaxGap);
        rate.Next(5_000, TimeSpan.FromSeconds(1));

        // The consumer restarted: its counter began again at 0.
        Assert.Null(rate.Next(20, TimeSpan.FromSeconds(2)));
        Assert.Equal(30, rate.Next(50, TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public void AfterAResetTheNextReadingHasNoRate()
    {
        var rate = new CounterRate(MaxGap);
        rate.Next(10, TimeSpan.FromSeconds(1));

        rate.Reset();

        Assert.Null(rate.Next(20, TimeSpan.FromSeconds(2)));
    }
}
