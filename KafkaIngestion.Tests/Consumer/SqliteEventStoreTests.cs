using System.Text;
using KafkaIngestion.Consumer;
using KafkaIngestion.Consumer.Storage;
using KafkaIngestion.Events;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Tests.Consumer;

public sealed class SqliteEventStoreTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"store-test-{Guid.NewGuid():N}", "events.db");

    private SqliteEventStore Open() =>
        new(Options.Create(new ConsumerOptions { StorePath = _path }), TimeProvider.System);

    private static ConsumedEvent Event(string id, long offset = 0) =>
        new(new IngestEvent(id, "t", "/s", "k", DateTimeOffset.UnixEpoch, Encoding.UTF8.GetBytes("""{"n":1}""")), 0, offset);

    [Fact]
    public void ABatchIsStoredAndCanBeLookedUp()
    {
        using var store = Open();

        var result = store.Store([Event("a"), Event("b", 1)]);

        Assert.Equal(new StoreResult(2, 0), result);
        Assert.Equal(new Dictionary<string, int> { ["a"] = 1, ["b"] = 1, ["c"] = 0 }, store.Lookup(["a", "b", "c"]));
    }

    [Fact]
    public void AnEventStoredAgainChangesNothingAndCountsAsADuplicate()
    {
        using var store = Open();
        store.Store([Event("a")]);

        var again = store.Store([Event("a", offset: 7), Event("b")]);
        var twiceInOneBatch = store.Store([Event("c"), Event("c")]);

        Assert.Equal(new StoreResult(1, 1), again);
        Assert.Equal(new StoreResult(1, 1), twiceInOneBatch);
        Assert.Equal(1, store.Lookup(["a"])["a"]);
    }

    [Fact]
    public void StoredEventsSurviveReopeningTheStore()
    {
        using (var store = Open())
        {
            store.Store([Event("kept")]);
        }

        using var reopened = Open();
        Assert.Equal(1, reopened.Lookup(["kept"])["kept"]);
        Assert.Equal(new StoreResult(0, 1), reopened.Store([Event("kept")]));
    }

    [Fact]
    public void AFailedBatchLeavesNothingBehind()
    {
        using var store = Open();
        using (var locker = new SqliteConnection($"Data Source={_path};Default Timeout=1"))
        {
            locker.Open();
            using var exclusive = locker.CreateCommand();
            exclusive.CommandText = "BEGIN EXCLUSIVE;";
            exclusive.ExecuteNonQuery();

            // Another writer holds the database: the whole batch fails, none of it is written.
            using var blocked = new SqliteEventStore(
                Options.Create(new ConsumerOptions { StorePath = _path, StoreBusyTimeout = TimeSpan.FromSeconds(1) }), TimeProvider.System);
            Assert.ThrowsAny<SqliteException>(() => StoreWithShortTimeout(blocked));

            exclusive.CommandText = "ROLLBACK;";
            exclusive.ExecuteNonQuery();
        }

        Assert.Equal(0, store.Lookup(["x"])["x"]);
        Assert.Equal(new StoreResult(2, 0), store.Store([Event("x"), Event("y")]));
    }

    private static void StoreWithShortTimeout(SqliteEventStore store) => store.Store([Event("x"), Event("y")]);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(Path.GetDirectoryName(_path)!, recursive: true);
    }
}
