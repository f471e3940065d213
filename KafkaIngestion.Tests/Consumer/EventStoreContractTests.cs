using System.Text;
using KafkaIngestion.Consumer;
using KafkaIngestion.Consumer.Storage;
using KafkaIngestion.Events;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;

namespace KafkaIngestion.Tests.Consumer;

/// <summary>
/// What every store must do, checked against SQLite always and against a real PostgreSQL
/// when <c>KAFKAINGESTION_TEST_POSTGRES</c> names one (<c>.ci/run</c> installs and starts it).
/// </summary>
public sealed class EventStoreContractTests
{
    public const string PostgresVariable = "KAFKAINGESTION_TEST_POSTGRES";

    public static TheoryData<string> Stores()
    {
        var stores = new TheoryData<string> { ConsumerOptions.SqliteStore };
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(PostgresVariable)))
        {
            stores.Add(ConsumerOptions.PostgresStore);
        }

        return stores;
    }

    private static ConsumedEvent Event(string id, long offset = 0, string type = "t") =>
        new(new IngestEvent(id, type, "/s", "k", new DateTimeOffset(2026, 11, 24, 17, 0, 0, TimeSpan.FromHours(1)), Encoding.UTF8.GetBytes("""{"n":1}""")), 0, offset);

    [Theory]
    [MemberData(nameof(Stores))]
    public void ABatchIsStoredAndCanBeLookedUp(string kind)
    {
        using var store = TestStore.Create(kind);

        var result = store.Store.Store([Event("a"), Event("b", 1)]);

        Assert.Equal(new StoreResult(2, 0), result);
        Assert.Equal(new Dictionary<string, int> { ["a"] = 1, ["b"] = 1, ["c"] = 0 }, store.Store.Lookup(["a", "b", "c"]));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void ALookupWithDelaysSaysHowLongAfterItsTimeEachEventWasStored(string kind)
    {
        using var store = TestStore.Create(kind);
        store.Store.Store([Event("a")]);

        var found = store.Store.LookupWithDelays(["a", "missing"]);

        Assert.Equal(1, found["a"].Times);
        // The test event's time is 2026-11-24T16:00Z; it was stored now.
        var expected = (DateTimeOffset.UtcNow - new DateTimeOffset(2026, 11, 24, 16, 0, 0, TimeSpan.Zero)).TotalMilliseconds;
        Assert.InRange(found["a"].StoredAfterMs!.Value, expected - 60_000, expected + 1_000);
        Assert.Equal(new StoredTimes(0, null), found["missing"]);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void AnEventStoredAgainChangesNothingAndCountsAsADuplicate(string kind)
    {
        using var store = TestStore.Create(kind);
        store.Store.Store([Event("a")]);

        var again = store.Store.Store([Event("a", offset: 7), Event("b")]);
        var twiceInOneBatch = store.Store.Store([Event("c"), Event("c")]);

        Assert.Equal(new StoreResult(1, 1), again);
        Assert.Equal(new StoreResult(1, 1), twiceInOneBatch);
        Assert.Equal(1, store.Store.Lookup(["a"])["a"]);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void StoredEventsSurviveANewStoreInstance(string kind)
    {
        using var store = TestStore.Create(kind);
        store.Store.Store([Event("kept")]);

        var reopened = store.Reopen();

        Assert.Equal(1, reopened.Lookup(["kept"])["kept"]);
        Assert.Equal(new StoreResult(0, 1), reopened.Store([Event("kept")]));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void ALargeBatchIsStoredWhole(string kind)
    {
        using var store = TestStore.Create(kind);
        var batch = Enumerable.Range(0, 5_000).Select(i => Event($"e-{i}", i)).ToList();

        Assert.Equal(new StoreResult(5_000, 0), store.Store.Store(batch));
        Assert.All(store.Store.Lookup([.. batch.Select(b => b.Event.Id)]).Values, times => Assert.Equal(1, times));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void ABatchWithAnEventTheStoreRefusesIsRejectedWholeAndTheOthersCanStillBeStored(string kind)
    {
        using var store = TestStore.Create(kind);
        store.Store.Store([Event("first")]);
        store.RefuseType("refused");

        var rejected = Assert.Throws<EventStoreRejectedException>(() => store.Store.Store([Event("good"), Event("bad", type: "refused")]));

        Assert.Contains("refused", rejected.Message, StringComparison.Ordinal);
        Assert.Equal(0, store.Store.Lookup(["good"])["good"]);
        Assert.Equal(new StoreResult(1, 0), store.Store.Store([Event("good")]));
    }

    /// <summary>
    /// A PL/pgSQL validation trigger is most often written as a plain <c>RAISE EXCEPTION</c>
    /// (SQLSTATE P0001). It refuses the event every time, as a CHECK would: the consumer must
    /// dead-letter that event, not retry it forever as if the database were down.
    /// </summary>
    [PostgresFact]
    public void AnExceptionRaisedByAPostgresTriggerWithoutACodeRefusesTheEvent()
    {
        using var store = TestStore.Create(ConsumerOptions.PostgresStore);
        store.Store.Store([Event("first")]);
        store.RefuseType("refused", postgresErrorCode: null);

        var rejected = Assert.Throws<EventStoreRejectedException>(() => store.Store.Store([Event("bad", type: "refused")]));

        Assert.Contains("(P0001)", rejected.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Replicas started together on a fresh database each create the table on first use, and
    /// PostgreSQL answers the losers of simultaneous <c>CREATE TABLE IF NOT EXISTS</c> with a
    /// unique violation in its own catalogue (23505, the class of a refused event). That is not
    /// the events' fault: the batch must be retried, never taken apart and dead-lettered.
    /// </summary>
    [PostgresFact]
    public void ReplicasCreatingTheTableAtTheSameTimeNeverRefuseAnEvent()
    {
        const int Replicas = 8;
        var refused = 0;
        // Two rounds on fresh databases, as the race is lost by chance (without the fix, 2 to 12 of
        // the 16 first stores here were refused).
        for (var round = 0; round < 2; round++)
        {
            using var store = TestStore.Create(ConsumerOptions.PostgresStore);
            var replicas = Enumerable.Range(0, Replicas).Select(_ => store.Reopen()).ToList();
            using var start = new Barrier(Replicas);
            // Threads of their own: pool threads blocked on the barrier would wait for the pool to grow.
            var threads = replicas.Select((replica, i) => new Thread(() =>
            {
                start.SignalAndWait(TimeSpan.FromSeconds(30));
                try
                {
                    replica.Store([Event($"r{round}-{i}")]);
                }
                catch (EventStoreRejectedException)
                {
                    Interlocked.Increment(ref refused);
                }
                catch (EventStoreUnavailableException)
                {
                    // Retried by the consumer: the next attempt finds the table.
                }
            })).ToList();
            threads.ForEach(thread => thread.Start());
            threads.ForEach(thread => thread.Join(TimeSpan.FromSeconds(60)));

            // Every replica can store once the table exists.
            Assert.All(replicas, (replica, i) => replica.Store([Event($"again-{round}-{i}")]));
        }

        Assert.Equal(0, refused);
    }

    [Theory]
    [InlineData("22000", true)] // data_exception
    [InlineData("22001", true)] // string_data_right_truncation
    [InlineData("23505", true)] // unique_violation (of an operator's index)
    [InlineData("23514", true)] // check_violation
    [InlineData("54000", true)] // program_limit_exceeded
    [InlineData("P0001", true)] // raise_exception: RAISE EXCEPTION with no code
    [InlineData("P0004", true)] // assert_failure: ASSERT in a trigger
    [InlineData("P0002", false)] // no_data_found: a trigger's SELECT INTO STRICT on another table
    [InlineData("P0003", false)] // too_many_rows: likewise
    [InlineData("08006", false)] // connection_failure
    [InlineData("53100", false)] // disk_full
    [InlineData("53300", false)] // too_many_connections
    [InlineData("55000", false)] // object_not_in_prerequisite_state: the database does not allow connections
    [InlineData("57P01", false)] // admin_shutdown: the session was terminated
    [InlineData("40001", false)] // serialization_failure
    [InlineData("42P01", false)] // undefined_table: the schema is broken, not the event
    public void PostgresErrorsCausedByTheRowsAreRefusalsAndAllOthersAreOutages(string sqlState, bool refusal)
    {
        Assert.Equal(refusal, PostgresEventStore.IsRefusalOfTheData(sqlState));
    }

    [Fact]
    public void AnUnreachablePostgresIsReportedAsUnavailableNotAsAFailure()
    {
        // Port 1 on loopback: nothing listens there.
        using var dataSource = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=none;Password=none;Timeout=2");
        var store = new PostgresEventStore(dataSource, TimeProvider.System);

        Assert.Throws<EventStoreUnavailableException>(() => store.Store([Event("x")]));
        Assert.Throws<EventStoreUnavailableException>(() => store.Lookup(["x"]));
    }

    /// <summary>A store on a database of its own, removed afterwards.</summary>
    private sealed class TestStore : IDisposable
    {
        private readonly Func<IEventStore> _open;
        private readonly Action _cleanup;
        private readonly List<IDisposable> _opened = [];

        private readonly Action<string, string?> _refuseType;

        private TestStore(Func<IEventStore> open, Action cleanup, Action<string, string?> refuseType)
        {
            _open = open;
            _cleanup = cleanup;
            _refuseType = refuseType;
            Store = Reopen();
        }

        public IEventStore Store { get; }

        /// <summary>Adds an operator's rule (a trigger) that refuses events of this type.</summary>
        /// <param name="postgresErrorCode">The condition a PostgreSQL trigger raises (null: none, P0001); SQLite's has no choice.</param>
        public void RefuseType(string type, string? postgresErrorCode = "check_violation") => _refuseType(type, postgresErrorCode);

        public IEventStore Reopen()
        {
            var store = _open();
            if (store is IDisposable disposable)
            {
                _opened.Add(disposable);
            }

            return store;
        }

        public static TestStore Create(string kind) => kind switch
        {
            ConsumerOptions.SqliteStore => Sqlite(),
            ConsumerOptions.PostgresStore => Postgres(),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        private static TestStore Sqlite()
        {
            var directory = Directory.CreateTempSubdirectory("store-contract-");
            var options = Options.Create(new ConsumerOptions { StorePath = Path.Combine(directory.FullName, "events.db") });
            return new TestStore(() => new SqliteEventStore(options, TimeProvider.System), () =>
            {
                SqliteConnection.ClearAllPools();
                directory.Delete(recursive: true);
            }, (type, _) =>
            {
                using var connection = new SqliteConnection($"Data Source={options.Value.StorePath};Pooling=False");
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = RefusalTriggers.CreateSqlite(type, $"{type} is refused");
                command.ExecuteNonQuery();
            });
        }

        private static TestStore Postgres()
        {
            var server = new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable(PostgresVariable));
            var database = $"store_contract_{Guid.NewGuid():N}";
            using (var admin = NpgsqlDataSource.Create(server.ConnectionString))
            {
                using var create = admin.CreateCommand($"CREATE DATABASE {database};");
                create.ExecuteNonQuery();
            }

            var own = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = database, Pooling = false };
            var dataSources = new List<NpgsqlDataSource>();
            return new TestStore(
                () =>
                {
                    var dataSource = NpgsqlDataSource.Create(own.ConnectionString);
                    dataSources.Add(dataSource);
                    return new PostgresEventStore(dataSource, TimeProvider.System);
                },
                () =>
                {
                    dataSources.ForEach(d => d.Dispose());
                    using var admin = NpgsqlDataSource.Create(server.ConnectionString);
                    using var drop = admin.CreateCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE);");
                    drop.ExecuteNonQuery();
                },
                (type, errorCode) =>
                {
                    using var dataSource = NpgsqlDataSource.Create(own.ConnectionString);
                    using var command = dataSource.CreateCommand(RefusalTriggers.CreatePostgres(type, $"{type} is refused", errorCode));
                    command.ExecuteNonQuery();
                });
        }

        public void Dispose()
        {
            _opened.ForEach(d => d.Dispose());
            _cleanup();
        }
    }
}
