using Confluent.Kafka;
using KafkaIngestion.Consumer.Consuming;

namespace KafkaIngestion.Tests.Consumer;

public sealed class GapDetectorTests
{
    private static readonly TopicPartition P0 = new("events", 0);
    private static readonly TopicPartition P1 = new("events", 1);

    private sealed class Committed(Func<TopicPartition, Offset> answer)
    {
        public List<TopicPartition> Asked { get; } = [];

        public Offset Lookup(TopicPartition partition)
        {
            Asked.Add(partition);
            return answer(partition);
        }
    }

    [Fact]
    public void TheFirstRecordAfterTheCommittedOffsetIsNoGap()
    {
        var committed = new Committed(_ => new Offset(42));
        var gaps = new GapDetector(committed.Lookup);

        Assert.Null(gaps.Observe(P0, 42));
        Assert.Null(gaps.Observe(P0, 43));
        Assert.Null(gaps.Observe(P0, 44));
    }

    [Fact]
    public void RecordsThatLeftTheBrokerBeforeTheFirstOneReadAreAGap()
    {
        var gaps = new GapDetector(new Committed(_ => new Offset(42)).Lookup);

        var gap = gaps.Observe(P0, 50);

        Assert.Equal(new OffsetGap(P0, 42, 49), gap);
        Assert.Equal(8, gap!.Value.Missing);
    }

    [Fact]
    public void AGroupThatNeverCommittedExpectsThePartitionsStart()
    {
        var gaps = new GapDetector(new Committed(_ => Offset.Unset).Lookup);

        Assert.Null(gaps.Observe(P0, 0));
        Assert.Equal(new OffsetGap(P1, 0, 4), gaps.Observe(P1, 5));
    }

    [Fact]
    public void AJumpBetweenTwoRecordsIsAGapCountedOnceAndDetectionGoesOnAfterIt()
    {
        var gaps = new GapDetector(new Committed(_ => new Offset(0)).Lookup);
        gaps.Observe(P0, 0);
        gaps.Observe(P0, 1);

        Assert.Equal(new OffsetGap(P0, 2, 999), gaps.Observe(P0, 1_000));
        Assert.Null(gaps.Observe(P0, 1_001));
        Assert.Equal(998, new OffsetGap(P0, 2, 999).Missing);
    }

    [Fact]
    public void PartitionsAreTrackedApart()
    {
        var gaps = new GapDetector(new Committed(_ => new Offset(10)).Lookup);
        gaps.Observe(P0, 10);
        gaps.Observe(P1, 10);

        Assert.Null(gaps.Observe(P1, 11));
        Assert.Equal(new OffsetGap(P0, 11, 11), gaps.Observe(P0, 12));
    }

    [Fact]
    public void ARecordReadAgainIsNoGap()
    {
        var gaps = new GapDetector(new Committed(_ => new Offset(0)).Lookup);
        gaps.Observe(P0, 0);
        gaps.Observe(P0, 1);
        gaps.Observe(P0, 2);

        Assert.Null(gaps.Observe(P0, 1));
        Assert.Null(gaps.Observe(P0, 2));
    }

    [Fact]
    public void TheCommittedOffsetIsAskedOncePerPartitionUntilThePartitionIsForgotten()
    {
        var committed = new Committed(_ => new Offset(0));
        var gaps = new GapDetector(committed.Lookup);

        gaps.Observe(P0, 0);
        gaps.Observe(P0, 1);
        gaps.Observe(P1, 0);
        Assert.Equal([P0, P1], committed.Asked);

        // After a rewind, replay or rebalance the next record is compared with the commit again.
        gaps.Forget(P0);
        Assert.Null(gaps.Observe(P0, 0));
        Assert.Equal([P0, P1, P0], committed.Asked);
    }

    [Fact]
    public void WhenTheCommittedOffsetCannotBeReadDetectionStartsFromTheFirstRecord()
    {
        var gaps = new GapDetector(_ => throw new KafkaException(ErrorCode.Local_TimedOut));

        Assert.Null(gaps.Observe(P0, 500));
        Assert.Null(gaps.Observe(P0, 501));
        Assert.Equal(new OffsetGap(P0, 502, 502), gaps.Observe(P0, 503));
    }
}
