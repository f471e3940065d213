namespace KafkaIngestion.Api.WebConsole;

/// <summary>
/// Turns readings of a counter that only grows into events per second between two readings.
/// No rate is made up: the first reading, a reading long after the previous one (nobody was
/// watching in between), and a counter that went down (its process restarted) only start anew.
/// </summary>
internal sealed class CounterRate(TimeSpan maxGap)
{
    private long _last;
    private TimeSpan? _lastAt;

    /// <param name="at">When the value was read, on any clock that only moves forward.</param>
    public double? Next(long value, TimeSpan at)
    {
        double? rate = null;
        if (_lastAt is { } lastAt && at > lastAt && at - lastAt <= maxGap && value >= _last)
        {
            rate = (value - _last) / (at - lastAt).TotalSeconds;
        }

        _last = value;
        _lastAt = at;
        return rate;
    }

    /// <summary>The counter could not be read: the next reading starts anew.</summary>
    public void Reset() => _lastAt = null;
}
