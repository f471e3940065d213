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

    [Fact]
    public void EveryColumnIsStoredAsTheEventCarriedIt()
    {
        var time = new DateTimeOffset(2026, 11, 25, 3, 4, 5, TimeSpan.FromHours(2)).AddTicks(1234567);
        var longId = new string('i', 3_000);
        ConsumedEvent[] events =
        [
            new(new IngestEvent("ünïcødé-✓", "tÿpe.😀", "/sóurce", "kéy", time, [1, 2, 0, 255], "application/cloudevents+json; charset=utf-8"), 4, 17),
            new(new IngestEvent(longId, "t", "/s", "", time, [], "text/plain"), 0, 1),
            new(new IngestEvent("no-key", "t", "/s", null, time, """{"n":1}"""u8.ToArray()), 1, 2),
        ];
        using (var store = Open())
        {
            Assert.Equal(new StoreResult(3, 0), store.Store(events));
        }

        using var connection = new SqliteConnection($"Data Source={_path};Pooling=False");
        connection.Open();
        using var select = connection.CreateCommand();
        select.CommandText = "SELECT id, type, source, partition_key, time, kafka_partition, kafka_offset, content_type, payload FROM events ORDER BY kafka_offset;";
        using var rows = select.ExecuteReader();
        foreach (var expected in events.OrderBy(e => e.Offset))
        {
            Assert.True(rows.Read());
            Assert.Equal(expected.Event.Id, rows.GetString(0));
            Assert.Equal(expected.Event.Type, rows.GetString(1));
            Assert.Equal(expected.Event.Source, rows.GetString(2));
            // An empty key stays an empty key; only a missing one is NULL.
            Assert.Equal(expected.Event.Key, rows.IsDBNull(3) ? null : rows.GetString(3));
            Assert.Equal(expected.Event.Time.ToString("O", System.Globalization.CultureInfo.InvariantCulture), rows.GetString(4));
            Assert.Equal(expected.Partition, rows.GetInt32(5));
            Assert.Equal(expected.Offset, rows.GetInt64(6));
            Assert.Equal(expected.Event.DataContentType, rows.GetString(7));
            Assert.Equal(expected.Event.Data, (byte[])rows.GetValue(8));
        }

        Assert.False(rows.Read());
    }

    private static void StoreWithShortTimeout(SqliteEventStore store) => store.Store([Event("x"), Event("y")]);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(Path.GetDirectoryName(_path)!, recursive: true);
    }
}
