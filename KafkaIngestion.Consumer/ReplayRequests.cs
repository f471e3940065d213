namespace KafkaIngestion.Consumer;

/// <summary>
/// Replay requests handed from HTTP to the consume thread, which alone may seek. Replay is
/// safe because the store ignores events it already holds (they count as duplicates).
/// </summary>
internal sealed class ReplayRequests
{
    private DateTimeOffset? _pending;
    private int _hasPending;

    /// <param name="from">Where to start again: <see cref="DateTimeOffset.MinValue"/> for the earliest offset.</param>
    public void Request(DateTimeOffset from)
    {
        _pending = from;
        Volatile.Write(ref _hasPending, 1);
    }

    public bool TryTake(out DateTimeOffset from)
    {
        from = default;
        if (Interlocked.Exchange(ref _hasPending, 0) == 0)
        {
            return false;
        }

        from = _pending ?? DateTimeOffset.MinValue;
        return true;
    }
}
