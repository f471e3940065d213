using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Consumer.Storage;

/// <summary>
/// The embedded store: one SQLite file. WAL journal so status lookups read while the consume
/// thread writes; synchronous=FULL so a committed batch survives a crash of the machine, not
/// just of the process, because its offsets are committed to Kafka right after.
/// </summary>
internal sealed class SqliteEventStore : IEventStore, IDisposable
{
    private const string Schema = """
        PRAGMA journal_mode = WAL;
        CREATE TABLE IF NOT EXISTS events (
            id TEXT NOT NULL PRIMARY KEY,
            type TEXT NOT NULL,
            source TEXT NOT NULL,
            partition_key TEXT,
            time TEXT NOT NULL,
            kafka_partition INTEGER NOT NULL,
            kafka_offset INTEGER NOT NULL,
            content_type TEXT NOT NULL,
            payload BLOB NOT NULL,
            processed_at TEXT NOT NULL
        ) WITHOUT ROWID;
        """;

    private readonly SqliteConnection _writer;
    private readonly string _connectionString;
    private readonly TimeProvider _timeProvider;

    public SqliteEventStore(IOptions<ConsumerOptions> options, TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        var path = Path.GetFullPath(options.Value.StorePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            DefaultTimeout = (int)Math.Max(1, options.Value.StoreBusyTimeout.TotalSeconds),
        }.ToString();

        _writer = new SqliteConnection(_connectionString);
        _writer.Open();
        Execute(_writer, Schema);
        Execute(_writer, "PRAGMA synchronous = FULL;");
    }

    public StoreResult Store(IReadOnlyList<ConsumedEvent> batch)
    {
        try
        {
            return StoreInTransaction(batch);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is RefusedByConstraint or RefusedAsTooBig or RefusedAsMismatch)
        {
            throw new EventStoreRejectedException($"SQLite refused an event in the batch: {ex.Message}", ex);
        }
        catch (SqliteException ex)
        {
            throw new EventStoreUnavailableException($"SQLite refused the batch: {ex.Message}", ex);
        }
    }

    // SQLite's primary result codes for refusals caused by the data itself (a CHECK, NOT NULL or
    // trigger, a value over the size limit, a type mismatch): storing it again cannot help.
    // Everything else (busy, locked, full, I/O) is the store being unavailable.
    private const int RefusedAsTooBig = 18;
    private const int RefusedByConstraint = 19;
    private const int RefusedAsMismatch = 20;

    private StoreResult StoreInTransaction(IReadOnlyList<ConsumedEvent> batch)
    {
        using var transaction = _writer.BeginTransaction();
        using var insert = _writer.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO events (id, type, source, partition_key, time, kafka_partition, kafka_offset, content_type, payload, processed_at)
            VALUES ($id, $type, $source, $key, $time, $partition, $offset, $contentType, $payload, $processedAt)
            ON CONFLICT (id) DO NOTHING;
            """;
        var id = insert.Parameters.Add("$id", SqliteType.Text);
        var type = insert.Parameters.Add("$type", SqliteType.Text);
        var source = insert.Parameters.Add("$source", SqliteType.Text);
        var key = insert.Parameters.Add("$key", SqliteType.Text);
        var time = insert.Parameters.Add("$time", SqliteType.Text);
        var partition = insert.Parameters.Add("$partition", SqliteType.Integer);
        var offset = insert.Parameters.Add("$offset", SqliteType.Integer);
        var contentType = insert.Parameters.Add("$contentType", SqliteType.Text);
        var payload = insert.Parameters.Add("$payload", SqliteType.Blob);
        var processedAt = insert.Parameters.Add("$processedAt", SqliteType.Text);
        processedAt.Value = _timeProvider.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
        insert.Prepare();

        var inserted = 0;
        foreach (var consumed in batch)
        {
            var e = consumed.Event;
            id.Value = e.Id;
            type.Value = e.Type;
            source.Value = e.Source;
            key.Value = (object?)e.Key ?? DBNull.Value;
            time.Value = e.Time.ToString("O", CultureInfo.InvariantCulture);
            partition.Value = consumed.Partition;
            offset.Value = consumed.Offset;
            contentType.Value = e.DataContentType;
            payload.Value = e.Data;
            inserted += insert.ExecuteNonQuery();
        }

        transaction.Commit();
        return new StoreResult(inserted, batch.Count - inserted);
    }

    public IReadOnlyDictionary<string, int> Lookup(IReadOnlyList<string> ids)
    {
        try
        {
            return LookupOnReader(ids);
        }
        catch (SqliteException ex)
        {
            throw new EventStoreUnavailableException($"SQLite did not answer: {ex.Message}", ex);
        }
    }

    private Dictionary<string, int> LookupOnReader(IReadOnlyList<string> ids)
    {
        // A connection of its own: lookups come from HTTP requests while the consume thread writes.
        using var reader = new SqliteConnection(_connectionString);
        reader.Open();
        using var select = reader.CreateCommand();
        select.CommandText = "SELECT COUNT(*) FROM events WHERE id = $id;";
        var id = select.Parameters.Add("$id", SqliteType.Text);
        var found = new Dictionary<string, int>(ids.Count, StringComparer.Ordinal);
        foreach (var eventId in ids)
        {
            id.Value = eventId;
            found[eventId] = Convert.ToInt32(select.ExecuteScalar(), CultureInfo.InvariantCulture);
        }

        return found;
    }

    public IReadOnlyDictionary<string, StoredTimes> LookupWithDelays(IReadOnlyList<string> ids)
    {
        try
        {
            using var reader = new SqliteConnection(_connectionString);
            reader.Open();
            using var select = reader.CreateCommand();
            select.CommandText = "SELECT time, processed_at FROM events WHERE id = $id;";
            var id = select.Parameters.Add("$id", SqliteType.Text);
            var found = new Dictionary<string, StoredTimes>(ids.Count, StringComparer.Ordinal);
            foreach (var eventId in ids)
            {
                id.Value = eventId;
                using var rows = select.ExecuteReader();
                int times = 0;
                double? delay = null;
                while (rows.Read())
                {
                    // Both are stored as round-trip ("O") text.
                    var time = DateTimeOffset.Parse(rows.GetString(0), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
                    var processedAt = DateTimeOffset.Parse(rows.GetString(1), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
                    delay ??= (processedAt - time).TotalMilliseconds;
                    times++;
                }

                found[eventId] = new StoredTimes(times, delay);
            }

            return found;
        }
        catch (SqliteException ex)
        {
            throw new EventStoreUnavailableException($"SQLite did not answer: {ex.Message}", ex);
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose() => _writer.Dispose();
}
