using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using SQLitePCL;

namespace KafkaIngestion.Consumer.Storage;

/// <summary>
/// The embedded store: one SQLite file. WAL journal so status lookups read while the store
/// thread writes; synchronous=FULL by default so a committed batch survives a crash of the
/// machine, not just of the process, because its offsets are committed to Kafka right after
/// (<see cref="ConsumerOptions.SqliteSynchronous"/> can trade that for speed).
/// </summary>
internal sealed class SqliteEventStore : IEventStore, IDisposable
{
    // 16 KiB pages: rows are a few hundred bytes and arrive in batches of thousands, so larger
    // pages mean fewer page splits and WAL frames per batch — 300-337 k rows/s became 400-417 k
    // in the store benchmark. SQLite applies it only to a new file; an existing one keeps its size.
    private const string Schema = """
        PRAGMA page_size = 16384;
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

    private const string InsertSql = """
        INSERT INTO events (id, type, source, partition_key, time, kafka_partition, kafka_offset, content_type, payload, processed_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
        ON CONFLICT (id) DO NOTHING;
        """;

    private readonly SqliteConnection _writer;
    private readonly string _connectionString;
    private readonly TimeProvider _timeProvider;

    // The insert, prepared once on the writer connection and driven through SQLite's own API:
    // Microsoft.Data.Sqlite's command looks every named parameter up, converts every string and
    // boxes every number on each execution, which was most of the store's time per row.
    private readonly sqlite3_stmt _insert;

    // The UTF-8 form of the text being bound (grows to the longest value seen).
    private byte[] _utf8 = new byte[512];

    public SqliteEventStore(IOptions<ConsumerOptions> options, TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        var path = Path.GetFullPath(options.Value.StorePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var busyTimeout = (int)Math.Max(1, options.Value.StoreBusyTimeout.TotalSeconds);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            DefaultTimeout = busyTimeout,
        }.ToString();

        _writer = new SqliteConnection(_connectionString);
        _writer.Open();
        Execute(_writer, Schema);
        // Only FULL or NORMAL (validated): in WAL mode NORMAL loses no committed transaction when
        // the process dies, only (the newest ones) when the machine does.
        Execute(_writer, $"PRAGMA synchronous = {options.Value.SqliteSynchronous};");
        // The raw statement does not go through Microsoft.Data.Sqlite's own busy retry loop:
        // SQLite waits for another writer's lock itself, for as long as the command would.
        raw.sqlite3_busy_timeout(_writer.Handle, busyTimeout * 1000);
        Check(raw.sqlite3_prepare_v2(_writer.Handle, InsertSql, out _insert));
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
        // "BEGIN IMMEDIATE": the write lock is taken (or waited for) at the start, not by the
        // first insert.
        using var transaction = _writer.BeginTransaction(deferred: false);
        Span<byte> time = stackalloc byte[64];
        var processedAt = System.Text.Encoding.UTF8.GetBytes(_timeProvider.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
        var inserted = 0;
        try
        {
            foreach (var consumed in batch)
            {
                var e = consumed.Event;
                BindText(1, e.Id);
                BindText(2, e.Type);
                BindText(3, e.Source);
                if (e.Key is null)
                {
                    raw.sqlite3_bind_null(_insert, 4);
                }
                else
                {
                    BindText(4, e.Key);
                }

                // Round-trip ("O") text, formatted straight to UTF-8 without a string.
                e.Time.TryFormat(time, out var timeLength, "O", CultureInfo.InvariantCulture);
                raw.sqlite3_bind_text(_insert, 5, time[..timeLength]);
                raw.sqlite3_bind_int64(_insert, 6, consumed.Partition);
                raw.sqlite3_bind_int64(_insert, 7, consumed.Offset);
                BindText(8, e.DataContentType);
                raw.sqlite3_bind_blob(_insert, 9, e.Data);
                raw.sqlite3_bind_text(_insert, 10, processedAt);
                var rc = raw.sqlite3_step(_insert);
                if (rc != raw.SQLITE_DONE)
                {
                    Check(rc);
                }

                inserted += raw.sqlite3_changes(_writer.Handle);
                raw.sqlite3_reset(_insert);
            }
        }
        finally
        {
            // Resetting after a failed step returns the error again; the step already reported it.
            raw.sqlite3_reset(_insert);
            raw.sqlite3_clear_bindings(_insert);
        }

        transaction.Commit();
        return new StoreResult(inserted, batch.Count - inserted);
    }

    /// <summary>
    /// Binds text as UTF-8 encoded into one reused buffer: SQLitePCL's string overload allocates
    /// a new array for every value, five per event. SQLite copies the bytes when binding.
    /// </summary>
    private void BindText(int index, string value)
    {
        var most = System.Text.Encoding.UTF8.GetMaxByteCount(value.Length);
        if (most > _utf8.Length)
        {
            _utf8 = new byte[Math.Max(most, _utf8.Length * 2)];
        }

        var length = System.Text.Encoding.UTF8.GetBytes(value, _utf8);
        raw.sqlite3_bind_text(_insert, index, _utf8.AsSpan(0, length));
    }

    /// <summary>Turns a failed SQLite call into the exception Microsoft.Data.Sqlite would have thrown.</summary>
    private void Check(int rc)
    {
        if (rc is not (raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW))
        {
            throw new SqliteException(
                $"SQLite Error {rc}: '{raw.sqlite3_errmsg(_writer.Handle).utf8_to_string()}'.",
                rc & 0xFF,
                raw.sqlite3_extended_errcode(_writer.Handle));
        }
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
        // A connection of its own: lookups come from HTTP requests while the store thread writes.
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

    public void Dispose()
    {
        _insert.Dispose();
        _writer.Dispose();
    }
}
