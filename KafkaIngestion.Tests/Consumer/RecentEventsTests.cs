using System.Text;
using KafkaIngestion.Consumer;
using KafkaIngestion.ConsumerApi;
using KafkaIngestion.Consumer.Storage;
using KafkaIngestion.Events;

namespace KafkaIngestion.Tests.Consumer;

public sealed class RecentEventsTests
{
    private static readonly DateTimeOffset StoredAt = new(2026, 11, 24, 17, 0, 1, TimeSpan.Zero);

    private static ConsumedEvent Event(int n, string data = """{"n":1}""", string contentType = IngestEvent.JsonContentType) =>
        new(new IngestEvent($"e-{n}", "t", "/s", $"k-{n}", StoredAt.AddSeconds(-1), Encoding.UTF8.GetBytes(data), contentType), n % 6, n);

    [Fact]
    public void TheNewestEventsComeFirst()
    {
        var recent = new RecentEvents();

        recent.Record([Event(1), Event(2)], StoredAt);
        recent.Record([Event(3)], StoredAt);

        Assert.Equal(["e-3", "e-2", "e-1"], recent.Newest(10).Select(e => e.Id));
        Assert.Equal(["e-3", "e-2"], recent.Newest(2).Select(e => e.Id));
    }

    [Fact]
    public void OnlyTheLastCapacityEventsAreKeptHoweverLargeTheBatches()
    {
        var recent = new RecentEvents();

        recent.Record([.. Enumerable.Range(0, 1_000).Select(n => Event(n))], StoredAt);
        recent.Record([.. Enumerable.Range(1_000, 7).Select(n => Event(n))], StoredAt);

        var newest = recent.Newest(RecentEvents.Capacity + 10);
        Assert.Equal(RecentEvents.Capacity, newest.Count);
        Assert.Equal("e-1006", newest[0].Id);
        Assert.Equal($"e-{1_007 - RecentEvents.Capacity}", newest[^1].Id);
    }

    [Fact]
    public void AnEventIsShownWithWhereItWasReadFromAndWhenItWasStored()
    {
        var recent = new RecentEvents();

        recent.Record([Event(9)], StoredAt);

        var shown = Assert.Single(recent.Newest(1));
        Assert.Equal(new RecentEvent("e-9", "t", "/s", "k-9", 3, 9, StoredAt.AddSeconds(-1), StoredAt, """{"n":1}"""), shown);
    }

    [Fact]
    public void ALongPayloadIsCutShortAndABinaryOneIsShownByItsSize()
    {
        var longText = new string('x', RecentEvents.DataPreviewBytes + 50);

        Assert.Equal(new string('x', RecentEvents.DataPreviewBytes) + "…", RecentEvents.Preview(Encoding.UTF8.GetBytes(longText), "text/plain; charset=utf-8"));
        Assert.Equal("(3 bytes of application/octet-stream)", RecentEvents.Preview([1, 2, 3], "application/octet-stream"));
        Assert.Equal("{}", RecentEvents.Preview("{}"u8.ToArray(), "application/cloudevents+json"));
    }

    [Fact]
    public void NothingStoredYetMeansAnEmptyList()
    {
        Assert.Empty(new RecentEvents().Newest(20));
    }
}
