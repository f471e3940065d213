using KafkaIngestion.Consumer;
using KafkaIngestion.Events;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Tests.Consumer;

public sealed class ProcessedEventLogTests
{
    private static IngestEvent Event(string id) => new(id, "t", "/s", null, DateTimeOffset.UnixEpoch, []);

    private static ProcessedEventLog Log(int rememberedIds = 1_000) =>
        new(Options.Create(new ConsumerOptions { RememberedIds = rememberedIds }));

    [Fact]
    public void EachProcessedEventIsCountedAndRemembered()
    {
        var log = Log();

        log.Record(Event("a"));
        log.Record(Event("b"));

        Assert.Equal(2, log.Processed);
        Assert.Equal(0, log.Duplicates);
        Assert.Equal(1, log.TimesSeen("a"));
        Assert.Equal(0, log.TimesSeen("never"));
    }

    [Fact]
    public void ARedeliveredEventIsCountedAsADuplicate()
    {
        var log = Log();

        log.Record(Event("a"));
        log.Record(Event("a"));

        Assert.Equal(2, log.Processed);
        Assert.Equal(1, log.Duplicates);
        Assert.Equal(2, log.TimesSeen("a"));
    }

    [Fact]
    public void MemoryIsBoundedByForgettingTheOldestIds()
    {
        var log = Log(rememberedIds: 3);

        foreach (var id in new[] { "1", "2", "3", "4", "5" })
        {
            log.Record(Event(id));
        }

        Assert.Equal(3, log.RememberedIds);
        Assert.Equal(0, log.TimesSeen("1"));
        Assert.Equal(0, log.TimesSeen("2"));
        Assert.Equal(1, log.TimesSeen("5"));
        Assert.Equal(5, log.Processed);
    }
}
