using System.ComponentModel.DataAnnotations;

namespace KafkaIngestion.Consumer;

/// <summary>What the consumer reads, where it stores, and how it treats failures; bound from <c>Consumer</c>.</summary>
internal sealed class ConsumerOptions
{
    public const string Section = "Consumer";

    /// <summary>Consumer group; partitions are shared among its members.</summary>
    public const string DefaultGroupId = "event-processors";

    [Required, MinLength(1)]
    public string Topic { get; set; } = "events";

    /// <summary>Where records that cannot be processed go, with the reason in headers.</summary>
    [Required, MinLength(1)]
    public string DeadLetterTopic { get; set; } = "events.dlq";

    /// <summary>How many times a dead-letter write is tried before the consumer stops rather than skip a record.</summary>
    [Range(1, 100)]
    public int DeadLetterAttempts { get; set; } = 5;

    /// <summary>
    /// How many times an event the store refuses (not an outage: the event itself) is tried on
    /// its own before it goes to the dead-letter topic and its partition moves on.
    /// </summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 3;

    public const string SqliteStore = "sqlite";
    public const string PostgresStore = "postgres";

    /// <summary>
    /// Where processed events go: <c>sqlite</c> (a file, the default) or <c>postgres</c> (the
    /// <c>events-db</c> connection string).
    /// </summary>
    [Required, AllowedValues(SqliteStore, PostgresStore)]
    public string Store { get; set; } = SqliteStore;

    /// <summary>The SQLite file processed events are stored in (the AppHost puts it under its data folder).</summary>
    [Required, MinLength(1)]
    public string StorePath { get; set; } = Path.Combine(".data", "events.db");

    /// <summary>How long a write waits for another writer's lock before it counts as a failure (and is retried).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan StoreBusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Most events stored in one transaction. Larger batches mean fewer commits (each one a
    /// sync of the SQLite file under synchronous=FULL) when draining a backlog; at low rates a
    /// batch is cut by <see cref="BatchMaxWait"/> long before it is full.
    /// </summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 5_000;

    /// <summary>Longest an event waits for its batch to fill before the batch is stored anyway.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan BatchMaxWait { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// How many batches may wait for the store while the consume thread reads the next one.
    /// Reading and storing then overlap (the drain rate is the slower of the two, not their sum);
    /// a bound keeps memory, and the records read but not stored, small.
    /// </summary>
    [Range(1, 64)]
    public int StoreQueueBatches { get; set; } = 2;

    /// <summary>
    /// SQLite's <c>synchronous</c> setting in WAL mode: <c>FULL</c> (the default) syncs every
    /// commit, so a stored batch survives a power loss; <c>NORMAL</c> syncs only at checkpoints,
    /// so a stored batch survives a crash of the process but the newest ones may be lost with the
    /// machine, after their offsets were committed to Kafka.
    /// </summary>
    [Required, AllowedValues("FULL", "NORMAL")]
    public string SqliteSynchronous { get; set; } = "FULL";

    /// <summary>Longest pause between attempts to store a batch while the store is failing.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Longest a revocation or shutdown waits, in all, for the store to take and finish the
    /// batches in hand. A rebalance waits on this member meanwhile (inside Consume, so it stays
    /// well under librdkafka's max.poll.interval.ms); batches still with the store after it are
    /// read again (their offsets are never stored), which the idempotent store makes harmless.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:02:00")]
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
