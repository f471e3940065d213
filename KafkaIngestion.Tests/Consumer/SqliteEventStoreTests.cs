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
            Assert.Throws<EventStoreUnavailableException>(() => StoreWithShortTimeout(blocked));

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
