using KafkaIngestion.Events;

namespace KafkaIngestion.Consumer.Storage;

/// <summary>An event read from Kafka, with where it was read from.</summary>
internal sealed record ConsumedEvent(IngestEvent Event, int Partition, long Offset);

/// <summary>How many times an event is stored and, if it is, how long after its time.</summary>
internal readonly record struct StoredTimes(int Times, double? StoredAfterMs);

/// <summary>What one stored batch changed.</summary>
internal readonly record struct StoreResult(int Inserted, int Duplicates);

/// <summary>
/// The store could not take or answer a request (unreachable, locked, full): nothing was
/// written. The caller may try the same request again later.
/// </summary>
internal sealed class EventStoreUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// The store refused the batch because of what is in it (a constraint, a value out of range, a
/// trigger): nothing was written, and the same events will be refused again. The consumer
/// finds the refused events one by one and dead-letters them after a few attempts.
/// </summary>
internal sealed class EventStoreRejectedException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// Where processed events are kept. The event id is unique: storing an event again changes
/// nothing and is reported as a duplicate, which turns Kafka's at-least-once delivery into an
/// exactly-once effect.
/// </summary>
internal interface IEventStore
{
    /// <summary>Stores a batch in one transaction: all of it, or (on an exception) none of it.</summary>
    /// <exception cref="EventStoreUnavailableException">Nothing was stored; try again later.</exception>
    /// <exception cref="EventStoreRejectedException">Nothing was stored; some event in the batch will never be.</exception>
    StoreResult Store(IReadOnlyList<ConsumedEvent> batch);

    /// <returns>For each id, 1 if the event is stored, 0 if not.</returns>
    IReadOnlyDictionary<string, int> Lookup(IReadOnlyList<string> ids);

    /// <summary><see cref="Lookup"/> and, in the same reads, how long each stored event waited.</summary>
    /// <returns>
    /// For each id: how many times it is stored, and for a stored one the milliseconds from the
    /// event's time (when the API accepted it, unless the sender set one) to when it was stored.
    /// </returns>
    IReadOnlyDictionary<string, StoredTimes> LookupWithDelays(IReadOnlyList<string> ids);
}
