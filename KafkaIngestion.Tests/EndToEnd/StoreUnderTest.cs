namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>
/// The consumer's store in an end-to-end run, touched the way an operator or an outage would
/// touch it. The consumer scenarios are written once against this and run against each store.
/// </summary>
public interface IStoreUnderTest
{
    /// <summary>Adds an operator's rule (a trigger) under which the store refuses every event of <paramref name="type"/>.</summary>
    /// <param name="message">What the store says when it refuses one.</param>
    Task RefuseTypeAsync(string type, string message, CancellationToken cancellationToken);

    /// <summary>Drops the rule <see cref="RefuseTypeAsync"/> added: events of the type are stored again.</summary>
    Task AcceptTypeAgainAsync(string type, CancellationToken cancellationToken);

    /// <summary>Makes the store unavailable to the consumer until the returned outage is disposed.</summary>
    Task<IAsyncDisposable> BeginOutageAsync(CancellationToken cancellationToken);

    /// <summary>Rows whose id starts with <paramref name="idPrefix"/>, read from the store itself rather than through the consumer.</summary>
    Task<long> CountAsync(string idPrefix, CancellationToken cancellationToken);
}

/// <summary>An outage that ends when disposed.</summary>
internal sealed class StoreOutage(Func<Task> end) : IAsyncDisposable
{
    private int _ended;

    public async ValueTask DisposeAsync()
    {
        // Once: a scenario may end the outage part-way and still dispose of it on the way out.
        if (Interlocked.Exchange(ref _ended, 1) == 0)
        {
            await end();
        }
    }
}
