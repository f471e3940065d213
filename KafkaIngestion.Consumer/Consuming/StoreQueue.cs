using System.Collections.Concurrent;

namespace KafkaIngestion.Consumer.Consuming;

/// <summary>
/// What the consume thread and the store thread share: a bounded queue of batches to store in
/// the order they were read, the batches handed back (only the consume thread touches the
/// consumer, so it stores their offsets), and the signals of a drain and of the end.
/// </summary>
internal sealed class StoreQueue(int capacity) : IDisposable
{
    private readonly BlockingCollection<PendingBatch> _toStore = new(capacity);
    private readonly ConcurrentQueue<PendingBatch> _done = new();
    private int _inFlight;

    // Set while a revocation or shutdown drains the queue: the store thread tries each batch once
    // and, after a failure, gives up on the rest too (their offsets stay unstored, in order).
    private readonly ManualResetEventSlim _giveUp = new(false);
    private volatile bool _abandoning;

    // Stops the store thread's waits once the consume loop has finished with it.
    private readonly CancellationTokenSource _stopped = new();

    private volatile Exception? _failure;

    /// <summary>Batches handed off and not yet handed back.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Set when the store thread stopped on an error it cannot get past (the consume loop then stops).</summary>
    public Exception? Failure => _failure;

    /// <summary>True while a drain is on: one attempt per batch.</summary>
    public bool Draining => _giveUp.IsSet;

    /// <summary>True once a batch failed during the current drain: the rest are not tried.</summary>
    public bool Abandoned => _abandoning && _giveUp.IsSet;

    public CancellationToken Stopped => _stopped.Token;

    // Consume thread.

    public bool TryAdd(PendingBatch batch, TimeSpan wait)
    {
        Interlocked.Increment(ref _inFlight);
        if (_toStore.TryAdd(batch, wait))
        {
            return true;
        }

        Interlocked.Decrement(ref _inFlight);
        return false;
    }

    public bool TryTakeDone(out PendingBatch batch) => _done.TryDequeue(out batch!);

    public void BeginDrain()
    {
        // Cleared before giving up is signalled: a store thread that gave up during an earlier
        // drain may have set it after that drain ended, and it only counts while draining.
        _abandoning = false;
        _giveUp.Set();
    }

    public void EndDrain()
    {
        _abandoning = false;
        _giveUp.Reset();
    }

    /// <summary>No more batches: the store thread finishes what it has and ends; its waits end at once.</summary>
    public void Complete()
    {
        _toStore.CompleteAdding();
        _stopped.Cancel();
    }

    // Store thread.

    public IEnumerable<PendingBatch> Take() => _toStore.GetConsumingEnumerable();

    public void HandBack(PendingBatch batch)
    {
        _done.Enqueue(batch);
        Interlocked.Decrement(ref _inFlight);
    }

    public void Abandon() => _abandoning = true;

    public void Fail(Exception failure) => _failure = failure;

    /// <summary>Waits between attempts; false (stop trying) when draining or stopping.</summary>
    public bool WaitBeforeRetry(TimeSpan delay)
    {
        WaitHandle.WaitAny([_stopped.Token.WaitHandle, _giveUp.WaitHandle], delay);
        return !_stopped.IsCancellationRequested && !_giveUp.IsSet;
    }

    public void Dispose()
    {
        _giveUp.Dispose();
        _stopped.Dispose();
        _toStore.Dispose();
    }
}
