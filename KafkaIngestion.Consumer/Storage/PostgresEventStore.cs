using Npgsql;
using NpgsqlTypes;

namespace KafkaIngestion.Consumer.Storage;

/// <summary>
/// The store for scale: PostgreSQL, reached through the <c>events-db</c> connection. A batch is
/// one statement (<c>INSERT … SELECT FROM unnest(…) ON CONFLICT (id) DO NOTHING</c>): one round
/// trip, atomic, and the rows it reports changed are the events newly stored.
/// </summary>
internal sealed class PostgresEventStore(NpgsqlDataSource dataSource, TimeProvider timeProvider) : IEventStore
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS events (
            id text PRIMARY KEY,
            type text NOT NULL,
            source text NOT NULL,
            partition_key text,
            time timestamptz NOT NULL,
            kafka_partition integer NOT NULL,
            kafka_offset bigint NOT NULL,
            content_type text NOT NULL,
            payload bytea NOT NULL,
            processed_at timestamptz NOT NULL
        );
        """;

    private const string Insert = """
        INSERT INTO events (id, type, source, partition_key, time, kafka_partition, kafka_offset, content_type, payload, processed_at)
        SELECT id, type, source, partition_key, time, kafka_partition, kafka_offset, content_type, payload, $10
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::integer[], $7::bigint[], $8::text[], $9::bytea[])
            AS batch (id, type, source, partition_key, time, kafka_partition, kafka_offset, content_type, payload)
        ON CONFLICT (id) DO NOTHING;
        """;

    private volatile bool _schemaReady;

    public StoreResult Store(IReadOnlyList<ConsumedEvent> batch)
    {
        try
        {
            EnsureSchema();
            using var command = dataSource.CreateCommand(Insert);
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. batch.Select(b => b.Event.Id)] });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. batch.Select(b => b.Event.Type)] });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. batch.Select(b => b.Event.Source)] });
            command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = [.. batch.Select(b => b.Event.Key)] });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = [.. batch.Select(b => b.Event.Time.ToUniversalTime())] });
            command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. batch.Select(b => b.Partition)] });
            command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. batch.Select(b => b.Offset)] });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. batch.Select(b => b.Event.DataContentType)] });
            command.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = [.. batch.Select(b => b.Event.Data)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = timeProvider.GetUtcNow() });

            var inserted = command.ExecuteNonQuery();
            return new StoreResult(inserted, batch.Count - inserted);
        }
        catch (PostgresException ex) when (IsRefusalOfTheData(ex.SqlState))
        {
            throw new EventStoreRejectedException($"PostgreSQL refused an event in the batch: {ex.MessageText} ({ex.SqlState})", ex);
        }
        catch (NpgsqlException ex)
        {
            // Anything else means the database is down, unreachable, out of room or shutting
            // down: retried, never skipped.
            throw new EventStoreUnavailableException($"PostgreSQL refused the batch: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// SQLSTATE classes caused by the rows themselves: 22 data exception (e.g. a value out of
    /// range), 23 integrity constraint violation (a constraint or trigger added by the operator),
    /// 54 program limit exceeded (e.g. an index row too large), and an operator's trigger that
    /// refused the row: P0001 (a plain <c>RAISE EXCEPTION</c>, the way most validation triggers
    /// are written; the only statement here is the insert that fired it) and P0004 (a failed
    /// <c>ASSERT</c>). The same rows fail the same way every time. Other PL/pgSQL errors (P0002
    /// and P0003 come from queries of other tables), connection, resource, shutdown and schema
    /// errors are outages, retried until they end.
    /// </summary>
    internal static bool IsRefusalOfTheData(string sqlState) =>
        sqlState.StartsWith("22", StringComparison.Ordinal)
        || sqlState.StartsWith("23", StringComparison.Ordinal)
        || sqlState.StartsWith("54", StringComparison.Ordinal)
        || sqlState is "P0001" or "P0004";

    public IReadOnlyDictionary<string, int> Lookup(IReadOnlyList<string> ids)
    {
        try
        {
            EnsureSchema();
            // Counted, not just found: a count above 1 would show the store broke its promise.
            using var command = dataSource.CreateCommand("SELECT id, count(*)::int FROM events WHERE id = ANY($1) GROUP BY id;");
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. ids] });
            var stored = new Dictionary<string, int>(StringComparer.Ordinal);
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    stored[reader.GetString(0)] = reader.GetInt32(1);
                }
            }

            return ids.Distinct().ToDictionary(id => id, id => stored.GetValueOrDefault(id), StringComparer.Ordinal);
        }
        catch (NpgsqlException ex)
        {
            throw new EventStoreUnavailableException($"PostgreSQL did not answer: {ex.Message}", ex);
        }
    }

    public IReadOnlyDictionary<string, StoredTimes> LookupWithDelays(IReadOnlyList<string> ids)
    {
        try
        {
            EnsureSchema();
            using var command = dataSource.CreateCommand(
                "SELECT id, count(*)::int, min(EXTRACT(EPOCH FROM processed_at - time))::float8 * 1000 FROM events WHERE id = ANY($1) GROUP BY id;");
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. ids] });
            var stored = new Dictionary<string, StoredTimes>(StringComparer.Ordinal);
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    stored[reader.GetString(0)] = new StoredTimes(reader.GetInt32(1), reader.GetDouble(2));
                }
            }

            return ids.Distinct().ToDictionary(id => id, id => stored.GetValueOrDefault(id), StringComparer.Ordinal);
        }
        catch (NpgsqlException ex)
        {
            throw new EventStoreUnavailableException($"PostgreSQL did not answer: {ex.Message}", ex);
        }
    }

    private void EnsureSchema()
    {
        // Created on first use rather than at start, so a database that is down when the
        // consumer starts delays storing instead of failing the process.
        if (_schemaReady)
        {
            return;
        }

        try
        {
            using var command = dataSource.CreateCommand(Schema);
            command.ExecuteNonQuery();
        }
        catch (NpgsqlException ex)
        {
            // Never the events' fault, so never a refusal, whatever the SQLSTATE: replicas that
            // start together race to create the table, and PostgreSQL answers the losers with a
            // unique violation in its catalogue (23505). The next attempt finds the table.
            throw new EventStoreUnavailableException($"PostgreSQL could not create the events table: {ex.Message}", ex);
        }

        _schemaReady = true;
    }
}
