using Confluent.Kafka;

namespace KafkaIngestion.Consumer.Consuming;

/// <summary>
/// Which offsets may be stored: the rules alone, without a Kafka consumer, threads or a clock,
/// so they can be tested on their own. Batches are handed to the store in the order they were
/// read; an offset is released for storing only once its batch and every batch handed off before
/// it came back stored, and never past a record given up on (a batch the store did not store,
/// or one a drain could not hand off). Lost partitions and a drain that timed out start a new
/// <see cref="Epoch"/>: whatever becomes of the batches handed off before it no longer counts.
/// </summary>
/// <remarks>
/// Used by the consume thread only, except <see cref="Epoch"/>, which the store thread reads to
/// skip batches written off.
/// </remarks>
internal sealed class OffsetLedger
{
    private enum Outcome { Pending, Stored, NotStored }

    private sealed class Entry(BatchOffsets batch)
    {
        public BatchOffsets Batch { get; } = batch;
        public Outcome Outcome { get; set; }
    }

    // Handed to the store and not yet released, oldest first.
    private readonly List<Entry> _withStore = [];

    // Per partition, the first offset of records given up on: a partition that moves to another
    // member is read again from there (its offset was never stored); one kept is rewound to it.
    private readonly Dictionary<TopicPartition, long> _firstUnstored = [];

    private int _epoch;

    public int Epoch => Volatile.Read(ref _epoch);

    /// <summary>Batches handed to the store whose outcome is not released yet: what a drain waits for.</summary>
    public int WithStore => _withStore.Count;

    public void HandedOff(BatchOffsets batch)
    {
        // One read before the current epoch was written off: the store thread skips it and its
        // records are read again, so there is nothing to wait for.
        if (batch.Epoch == _epoch)
        {
            _withStore.Add(new Entry(batch));
        }
    }

    /// <summary>
    /// The store is done with a batch. Returns the offsets that may be stored now: the next
    /// offset per partition after every batch released, in order, up to the first one still with
    /// the store, each held back to the partition's first record given up on.
    /// </summary>
    public IReadOnlyList<TopicPartitionOffset> Completed(BatchOffsets batch, bool stored)
    {
        if (batch.Epoch != _epoch)
        {
            // Written off (lost partitions, or a drain that timed out): read again either way.
            return [];
        }

        var entry = _withStore.Find(e => ReferenceEquals(e.Batch, batch))
            ?? throw new InvalidOperationException("A batch came back that was never handed off in this epoch.");
        entry.Outcome = stored ? Outcome.Stored : Outcome.NotStored;

        Dictionary<TopicPartition, long>? safe = null;
        while (_withStore.Count > 0 && _withStore[0].Outcome != Outcome.Pending)
        {
            var released = _withStore[0];
            _withStore.RemoveAt(0);
            if (released.Outcome == Outcome.NotStored)
            {
                NotStored(released.Batch);
                continue;
            }

            safe ??= [];
            foreach (var next in released.Batch.Next())
            {
                safe[next.TopicPartition] = safe.TryGetValue(next.TopicPartition, out var known) ? Math.Max(known, next.Offset.Value) : next.Offset.Value;
            }
        }

        if (safe is null)
        {
            return [];
        }

        return safe.Select(s => new TopicPartitionOffset(s.Key,
            _firstUnstored.TryGetValue(s.Key, out var first) ? Math.Min(first, s.Value) : s.Value)).ToList();
    }

    /// <summary>Records given up on without the store trying them (a drain could not hand them off).</summary>
    public void NotStored(BatchOffsets batch)
    {
        foreach (var first in batch.First())
        {
            var topicPartition = first.TopicPartition;
            if (!_firstUnstored.TryGetValue(topicPartition, out var known) || first.Offset.Value < known)
            {
                _firstUnstored[topicPartition] = first.Offset.Value;
            }
        }
    }

    /// <summary>
    /// A drain ran out of time: the batches still with the store count as not stored (they may
    /// yet fail), and whatever the store makes of them from now on is ignored (a new epoch).
    /// Returns how many were written off.
    /// </summary>
    public int WriteOffWithStore()
    {
        var writtenOff = _withStore.Count;
        Interlocked.Increment(ref _epoch);
        foreach (var entry in _withStore)
        {
            NotStored(entry.Batch);
        }

        _withStore.Clear();
        return writtenOff;
    }

    /// <summary>
    /// This member was dropped from the group: nothing read so far may store an offset, and what
    /// was given up on is the new owner's to read again.
    /// </summary>
    public void Lost()
    {
        _firstUnstored.Clear();
        _withStore.Clear();
        Interlocked.Increment(ref _epoch);
    }

    /// <summary>
    /// After a revocation: where each partition this member keeps must be read again from (its
    /// first record given up on); partitions with nothing given up on go on where they are.
    /// What was given up on is forgotten then: revoked partitions are their new owner's.
    /// </summary>
    public IReadOnlyList<TopicPartitionOffset> Rewind(IEnumerable<TopicPartition> kept)
    {
        var rewinds = new List<TopicPartitionOffset>();
        foreach (var partition in kept)
        {
            if (_firstUnstored.TryGetValue(partition, out var first))
            {
                rewinds.Add(new TopicPartitionOffset(partition, first));
            }
        }

        _firstUnstored.Clear();
        return rewinds;
    }
}
