using Npgsql;

namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>
/// The consumer's PostgreSQL store: a database of its own on the test server
/// (<c>KAFKAINGESTION_TEST_POSTGRES</c>), created and dropped by the fixture that uses it. The
/// test role owns the database, which is all an outage needs.
/// </summary>
internal sealed class PostgresStoreUnderTest(string server, string database) : IStoreUnderTest
{
    /// <summary>What the consumer is given as <c>ConnectionStrings:events-db</c>.</summary>
    public string ConnectionString { get; } = new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString;

    public Task CreateDatabaseAsync(CancellationToken cancellationToken) =>
        ExecuteAsync(server, $"CREATE DATABASE {database};", cancellationToken);

    public Task DropDatabaseAsync(CancellationToken cancellationToken) =>
        ExecuteAsync(server, $"DROP DATABASE IF EXISTS {database} WITH (FORCE);", cancellationToken);

    public Task RefuseTypeAsync(string type, string message, CancellationToken cancellationToken) =>
        // A data exception (SQLSTATE 22000): the class of errors the store takes as a refusal of the event.
        ExecuteAsync(ConnectionString, RefusalTriggers.CreatePostgres(type, message, "data_exception"), cancellationToken);

    public Task AcceptTypeAgainAsync(string type, CancellationToken cancellationToken) =>
        ExecuteAsync(ConnectionString, RefusalTriggers.DropPostgres(type), cancellationToken);

    /// <summary>
    /// A real outage: the database takes no new connections and the consumer's are cut (as a
    /// restart or failover of the server would), until the outage ends. Run from the server's
    /// maintenance database, which stays reachable.
    /// </summary>
    public async Task<IAsyncDisposable> BeginOutageAsync(CancellationToken cancellationToken)
    {
        // Two statements, each committed: sessions cut before the first had committed could
        // connect again at once.
        var outage = new StoreOutage(() => ExecuteAsync(server, $"ALTER DATABASE {database} ALLOW_CONNECTIONS true;", CancellationToken.None));
        await ExecuteAsync(server, $"ALTER DATABASE {database} ALLOW_CONNECTIONS false;", cancellationToken);
        try
        {
            await ExecuteAsync(server, $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}';", cancellationToken);
        }
        catch
        {
            // The rest of the collection needs the database back.
            await outage.DisposeAsync();
            throw;
        }

        return outage;
    }

    public async Task<long> CountAsync(string idPrefix, CancellationToken cancellationToken)
    {
        await using var dataSource = DataSource(ConnectionString);
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM events WHERE starts_with(id, $1);");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = idPrefix });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task ExecuteAsync(string connectionString, string sql, CancellationToken cancellationToken)
    {
        await using var dataSource = DataSource(connectionString);
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // Unpooled: no idle session of the tests' is left in the database to be cut by an outage or
    // to hold up its drop.
    private static NpgsqlDataSource DataSource(string connectionString) =>
        NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false });
}
