using System.Text;
using KafkaIngestion.Consumer.Storage;
using KafkaIngestion.ConsumerApi;

namespace KafkaIngestion.Consumer;

/// <summary>
/// The newest events this consumer stored, kept in memory for the API's web console, which asks
/// once a second. A ring costs the store thread a few writes per batch; asking the store for
/// its newest rows instead would scan the whole table every second (nothing indexes
/// <c>processed_at</c>, and an index would tax every insert on the hot path).
/// </summary>
internal sealed class RecentEvents
{
    public const int Capacity = 50;

    /// <summary>How much of a payload is kept: enough to recognise an event, never a large payload.</summary>
    public const int DataPreviewBytes = 200;

    private readonly RecentEvent?[] _ring = new RecentEvent?[Capacity];
    private readonly Lock _lock = new();
    private long _added;

    /// <summary>Called by the store thread once a batch (or one event of it) is stored.</summary>
    public void Record(IReadOnlyList<ConsumedEvent> stored, DateTimeOffset storedAt)
    {
        // Only a batch's last events can be among the newest: the rest would be overwritten at once.
        var first = Math.Max(0, stored.Count - Capacity);
        var described = new RecentEvent[stored.Count - first];
        for (var i = first; i < stored.Count; i++)
        {
            described[i - first] = Describe(stored[i], storedAt);
        }

        lock (_lock)
        {
            foreach (var recent in described)
            {
                _ring[_added++ % Capacity] = recent;
            }
        }
    }

    /// <returns>Up to <paramref name="limit"/> events, newest first.</returns>
    public IReadOnlyList<RecentEvent> Newest(int limit)
    {
        lock (_lock)
        {
            var count = (int)Math.Min(Math.Min(limit, Capacity), _added);
            var newest = new RecentEvent[count];
            for (var i = 0; i < count; i++)
            {
                newest[i] = _ring[(_added - 1 - i) % Capacity]!;
            }

            return newest;
        }
    }

    private static RecentEvent Describe(ConsumedEvent consumed, DateTimeOffset storedAt)
    {
        var e = consumed.Event;
        return new RecentEvent(e.Id, e.Type, e.Source, e.Key, consumed.Partition, consumed.Offset, e.Time, storedAt, Preview(e.Data, e.DataContentType));
    }

    internal static string Preview(byte[] data, string contentType)
    {
        var mediaType = contentType.Split(';', 2)[0].Trim();
        var isText = mediaType.EndsWith("json", StringComparison.OrdinalIgnoreCase)
            || mediaType.StartsWith("text/", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("xml", StringComparison.OrdinalIgnoreCase);
        if (!isText)
        {
            return $"({data.Length} bytes of {mediaType})";
        }

        // A cut through a multi-byte character decodes as U+FFFD: harmless in a preview.
        var text = Encoding.UTF8.GetString(data, 0, Math.Min(data.Length, DataPreviewBytes));
        return data.Length > DataPreviewBytes ? text + "…" : text;
    }
}
