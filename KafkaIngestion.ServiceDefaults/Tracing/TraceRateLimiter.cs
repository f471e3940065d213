namespace KafkaIngestion.ServiceDefaults.Tracing;

/// <summary>
/// A token bucket for new traces: <c>perSecond</c> tokens a second, at most <c>perSecond</c> kept
/// (the burst), full at the start so the first requests after a quiet spell are all traced.
/// Zero allows none.
/// </summary>
internal sealed class TraceRateLimiter
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _timeProvider;
    private readonly double _tokensPerTick;
    private readonly double _burst;
    private double _tokens;
    private long _last;
    // Until when the bucket is known to be empty: under load most requests are refused here,
    // without taking the lock every request thread would otherwise queue on.
    private long _emptyUntil;

    public TraceRateLimiter(int perSecond, TimeProvider timeProvider)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(perSecond);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
        _tokensPerTick = (double)perSecond / timeProvider.TimestampFrequency;
        _burst = perSecond;
        _tokens = perSecond;
        _last = timeProvider.GetTimestamp();
    }

    /// <summary>Takes one token if there is one: whether a new trace may start now.</summary>
    public bool TryAcquire()
    {
        if (_burst == 0)
        {
            return false;
        }

        var now = _timeProvider.GetTimestamp();
        if (now < Volatile.Read(ref _emptyUntil))
        {
            return false;
        }

        lock (_gate)
        {
            // A clock that steps back (a fake one, in tests) adds nothing rather than removing tokens.
            _tokens = Math.Min(_burst, _tokens + (Math.Max(0, now - _last) * _tokensPerTick));
            _last = now;
            if (_tokens < 1)
            {
                // Rounded down: at that moment the lock decides, exactly as before.
                Volatile.Write(ref _emptyUntil, now + (long)((1 - _tokens) / _tokensPerTick));
                return false;
            }

            _tokens--;
            return true;
        }
    }
}
