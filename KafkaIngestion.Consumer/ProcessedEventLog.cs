using System.Collections.Concurrent;
using KafkaIngestion.Events;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Consumer;

/// <summary>
/// What the consumer has processed: counts, and the ids of the most recent events so that
/// tests and operators can ask whether (and how often) an event arrived. Written by the
/// consume thread, read by HTTP requests.
/// </summary>
internal sealed class ProcessedEventLog(IOptions<ConsumerOptions> options)
{
    private readonly ConcurrentDictionary<string, int> _timesSeen = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _arrivalOrder = new();
    private long _processed;
    private long _duplicates;
    private long _deadLettered;

    public long Processed => Interlocked.Read(ref _processed);

    /// <summary>Events whose id was already remembered: redeliveries or re-sent events.</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    public int RememberedIds => _timesSeen.Count;

    public void Record(IngestEvent ingestEvent)
    {
        Interlocked.Increment(ref _processed);
        var times = _timesSeen.AddOrUpdate(ingestEvent.Id, 1, static (_, seen) => seen + 1);
        if (times > 1)
        {
            Interlocked.Increment(ref _duplicates);
            return;
        }

        _arrivalOrder.Enqueue(ingestEvent.Id);
        while (_timesSeen.Count > options.Value.RememberedIds && _arrivalOrder.TryDequeue(out var oldest))
        {
            _timesSeen.TryRemove(oldest, out _);
        }
    }

    public void RecordDeadLettered() => Interlocked.Increment(ref _deadLettered);

    /// <returns>How many times the event was processed; 0 if never (or forgotten).</returns>
    public int TimesSeen(string id) => _timesSeen.TryGetValue(id, out var times) ? times : 0;
}
