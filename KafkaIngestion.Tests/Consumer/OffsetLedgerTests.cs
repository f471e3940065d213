using Confluent.Kafka;
using KafkaIngestion.Consumer.Consuming;

namespace KafkaIngestion.Tests.Consumer;

/// <summary>
/// The rules for which offsets the consumer may store, on their own: no broker, no threads.
/// Batches go to the store in the order they were read; the ledger hears back from it.
/// </summary>
public sealed class OffsetLedgerTests
{
    private const string Topic = "events";

    private static TopicPartition P(int partition) => new(Topic, partition);

    private static TopicPartitionOffset At(int partition, long offset) => new(Topic, partition, offset);

    private static ConsumeResult<string?, byte[]> Record(int partition, long offset) => new()
    {
        TopicPartitionOffset = At(partition, offset),
        Message = new Message<string?, byte[]> { Value = [] },
    };

    /// <summary>A batch of the records <paramref name="from"/> to <paramref name="to"/> of each partition given, read in the ledger's current epoch.</summary>
    private static BatchOffsets Batch(OffsetLedger ledger, long from, long to, params int[] partitions) =>
        BatchOffsets.Of([.. partitions.SelectMany(p => Enumerable.Range((int)from, (int)(to - from + 1)).Select(o => Record(p, o)))], ledger.Epoch);

    private static BatchOffsets HandOff(OffsetLedger ledger, long from, long to, params int[] partitions)
    {
        var batch = Batch(ledger, from, to, partitions);
        ledger.HandedOff(batch);
        return batch;
    }

    [Fact]
    public void ABatchCoversEachPartitionFromItsFirstToItsLastRecordWhateverTheirOrder()
    {
        var batch = BatchOffsets.Of([Record(1, 7), Record(0, 3), Record(1, 5), Record(0, 9), Record(1, 6)], epoch: 4);

        Assert.Equal(4, batch.Epoch);
        Assert.Equal([At(0, 3), At(1, 5)], batch.First().OrderBy(o => o.Partition.Value));
        Assert.Equal([At(0, 10), At(1, 8)], batch.Next().OrderBy(o => o.Partition.Value));
    }

    [Fact]
    public void AStoredBatchReleasesTheOffsetAfterItsLastRecordOfEachPartition()
    {
        var ledger = new OffsetLedger();
        var batch = HandOff(ledger, 0, 9, 0, 1);
        Assert.Equal(1, ledger.WithStore);

        var safe = ledger.Completed(batch, stored: true);

        Assert.Equal([At(0, 10), At(1, 10)], safe.OrderBy(o => o.Partition.Value));
        Assert.Equal(0, ledger.WithStore);
    }

    [Fact]
    public void ABatchStoredBeforeAnEarlierOneReleasesNothingUntilThatOneIsBack()
    {
        var ledger = new OffsetLedger();
        var first = HandOff(ledger, 0, 9, 0);
        var second = HandOff(ledger, 10, 19, 0, 1);

        Assert.Empty(ledger.Completed(second, stored: true));
        Assert.Equal(2, ledger.WithStore);

        var safe = ledger.Completed(first, stored: true);

        Assert.Equal([At(0, 20), At(1, 20)], safe.OrderBy(o => o.Partition.Value));
        Assert.Equal(0, ledger.WithStore);
    }

    [Fact]
    public void NoOffsetMovesPastARecordTheStoreDidNotStore()
    {
        var ledger = new OffsetLedger();
        var stored = HandOff(ledger, 0, 4, 0);
        var failed = HandOff(ledger, 5, 9, 0);
        var after = HandOff(ledger, 10, 19, 0, 1);

        Assert.Empty(ledger.Completed(after, stored: true));
        Assert.Empty(ledger.Completed(failed, stored: false));
        var safe = ledger.Completed(stored, stored: true);

        // Partition 0 goes on from the first record not stored; partition 1 lost nothing.
        Assert.Equal([At(0, 5), At(1, 20)], safe.OrderBy(o => o.Partition.Value));
    }

    [Fact]
    public void ARevocationRewindsOnlyTheKeptPartitionsToTheirFirstRecordGivenUpOn()
    {
        var ledger = new OffsetLedger();
        var failed = HandOff(ledger, 30, 39, 0, 1, 2);
        // Records read after it, given up on without a hand-off.
        ledger.NotStored(Batch(ledger, 40, 44, 0, 1));

        Assert.Empty(ledger.Completed(failed, stored: false));
        var rewinds = ledger.Rewind([P(0), P(1), P(3)]);

        // Partition 2 went to another member, which reads it from the last commit; partition 3
        // lost nothing and goes on where it is.
        Assert.Equal([At(0, 30), At(1, 30)], rewinds.OrderBy(o => o.Partition.Value));
        Assert.Empty(ledger.Rewind([P(0), P(1), P(2)]));
    }

    [Fact]
    public void TheRewindGoesToTheLowestOffsetGivenUpOnWhateverTheOrderItWasGivenUpIn()
    {
        var ledger = new OffsetLedger();

        ledger.NotStored(Batch(ledger, 20, 29, 0));
        ledger.NotStored(Batch(ledger, 5, 9, 0));
        ledger.NotStored(Batch(ledger, 12, 15, 0));

        Assert.Equal([At(0, 5)], ledger.Rewind([P(0)]));
    }

    [Fact]
    public void ADrainThatTimesOutCountsBatchesStillWithTheStoreAsNotStoredAndRewindsToTheirFirstRecord()
    {
        var ledger = new OffsetLedger();
        var done = HandOff(ledger, 0, 9, 0, 1);
        Assert.Equal([At(0, 10), At(1, 10)], ledger.Completed(done, stored: true).OrderBy(o => o.Partition.Value));
        // Two batches the (hung) store never hands back, and records read after them that the
        // drain could not hand off.
        var hung = HandOff(ledger, 10, 19, 0);
        var queued = HandOff(ledger, 20, 29, 0, 1);
        ledger.NotStored(Batch(ledger, 30, 35, 0, 1));
        var epoch = ledger.Epoch;

        Assert.Equal(2, ledger.WriteOffWithStore());

        Assert.Equal(0, ledger.WithStore);
        Assert.NotEqual(epoch, ledger.Epoch);
        // The kept partitions are read again from the hung batches' first records, not from the
        // records read after them.
        Assert.Equal([At(0, 10), At(1, 20)], ledger.Rewind([P(0), P(1)]).OrderBy(o => o.Partition.Value));
        // Whatever the store makes of them later no longer counts.
        Assert.Empty(ledger.Completed(hung, stored: true));
        Assert.Empty(ledger.Completed(queued, stored: true));
    }

    [Fact]
    public void AfterPartitionsAreLostNothingReadBeforeStoresAnOffsetAndNothingIsRewound()
    {
        var ledger = new OffsetLedger();
        var inFlight = HandOff(ledger, 0, 9, 0);
        var failed = HandOff(ledger, 10, 19, 1);
        ledger.NotStored(Batch(ledger, 20, 29, 1));
        var epoch = ledger.Epoch;

        ledger.Lost();

        Assert.NotEqual(epoch, ledger.Epoch);
        Assert.Equal(0, ledger.WithStore);
        Assert.Empty(ledger.Completed(inFlight, stored: true));
        Assert.Empty(ledger.Completed(failed, stored: false));
        Assert.Empty(ledger.Rewind([P(0), P(1)]));

        // Batches of the new epoch are counted as usual.
        var next = HandOff(ledger, 100, 109, 0);
        Assert.Equal([At(0, 110)], ledger.Completed(next, stored: true));
    }

    [Fact]
    public void ABatchReadBeforeTheEpochChangedIsNotWaitedFor()
    {
        var ledger = new OffsetLedger();
        var stale = Batch(ledger, 0, 9, 0);
        ledger.Lost();

        ledger.HandedOff(stale);

        Assert.Equal(0, ledger.WithStore);
        Assert.Empty(ledger.Completed(stale, stored: true));
    }

    [Fact]
    public void ABatchThatWasNeverHandedOffCannotComeBack()
    {
        var ledger = new OffsetLedger();
        HandOff(ledger, 0, 9, 0);

        // Releasing its offsets could skip records; treating it as unknown is a bug to surface.
        Assert.Throws<InvalidOperationException>(() => ledger.Completed(Batch(ledger, 10, 19, 0), stored: true));
    }

    [Fact]
    public void ADrainWithNothingLeftWithTheStoreWritesNothingOff()
    {
        var ledger = new OffsetLedger();
        var batch = HandOff(ledger, 0, 9, 0);
        ledger.Completed(batch, stored: true);
        var epoch = ledger.Epoch;

        Assert.Equal(0, ledger.WriteOffWithStore());

        // Still a new epoch (a drain that timed out always starts one), and nothing to rewind.
        Assert.NotEqual(epoch, ledger.Epoch);
        Assert.Empty(ledger.Rewind([P(0)]));
    }
}
