using Microsoft.Data.Sqlite;

namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>The consumer's SQLite store: a file that the tests open beside the consumer.</summary>
internal sealed class SqliteStoreUnderTest(string path) : IStoreUnderTest
{
    public Task RefuseTypeAsync(string type, string message, CancellationToken cancellationToken) =>
        ExecuteAsync(RefusalTriggers.CreateSqlite(type, message), cancellationToken);

    public Task AcceptTypeAgainAsync(string type, CancellationToken cancellationToken) =>
        ExecuteAsync(RefusalTriggers.DropSqlite(type), cancellationToken);

    public async Task<IAsyncDisposable> BeginOutageAsync(CancellationToken cancellationToken)
    {
        // Another writer holds the database, as a stuck or failing store would.
        var locker = new SqliteConnection($"Data Source={path};Pooling=False");
        try
        {
            await locker.OpenAsync(cancellationToken);
            await ExecuteAsync(locker, "BEGIN EXCLUSIVE;", cancellationToken);
        }
        catch
        {
            await locker.DisposeAsync();
            throw;
        }

        return new StoreOutage(async () =>
        {
            await ExecuteAsync(locker, "ROLLBACK;", CancellationToken.None);
            await locker.DisposeAsync();
        });
    }

    public async Task<long> CountAsync(string idPrefix, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM events WHERE substr(id, 1, length($prefix)) = $prefix;";
        command.Parameters.AddWithValue("$prefix", idPrefix);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, sql, cancellationToken);
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        // Default Timeout: wait for the consumer's write lock instead of failing on it.
        var connection = new SqliteConnection($"Data Source={path};Pooling=False;Default Timeout=30");
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
