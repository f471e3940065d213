using Confluent.Kafka;

namespace KafkaIngestion.Consumer.Consuming;

/// <summary>
/// What the consume loop, the store thread and the rebalance handler log. They all log through
/// the worker's logger, so the category stays <c>KafkaIngestion.Consumer.EventConsumerWorker</c>.
/// </summary>
internal static partial class ConsumerLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming {Topic} in batches of up to {BatchSize} events or {MaxWaitMs} ms")]
    public static partial void Started(ILogger logger, string topic, int batchSize, double maxWaitMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Missing} events of {TopicPartition} (offsets {From} to {To}) were never processed: they left the broker before this group read them")]
    public static partial void Gap(ILogger logger, long missing, TopicPartition topicPartition, long from, long to);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replaying {Partitions} partition(s) from {From}; events already stored count as duplicates")]
    public static partial void Replay(ILogger logger, int partitions, string from);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Partitions} partition(s) lost to the group; {Events} unstored events will be read again by their new owner")]
    public static partial void Lost(ILogger logger, int partitions, int events);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replay did not start: {Reason}")]
    public static partial void ReplayFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "No commit on revocation: {Reason}")]
    public static partial void CommitOnRevokeFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consume error {Code}: {Reason}")]
    public static partial void ConsumeError(ILogger logger, ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storing a batch of {Events} events failed (attempt {Attempt}); trying again in {DelayMs:F0} ms: {Reason}")]
    public static partial void StoreFailed(ILogger logger, int events, int attempt, double delayMs, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The store refused a batch of {Events} events because of its contents ({Reason}); storing them one by one to find the refused ones")]
    public static partial void Isolating(ILogger logger, int events, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The store refused event {EventId} (attempt {Attempt} of {Attempts}); trying again in {DelayMs:F0} ms: {Reason}")]
    public static partial void EventRefused(ILogger logger, string eventId, int attempt, int attempts, double delayMs, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "The store took the batch again after {Attempts} attempts")]
    public static partial void StoreRecovered(ILogger logger, int attempts);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Partitions} partition(s) revoked; their processed offsets were committed")]
    public static partial void Revoked(ILogger logger, int partitions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Draining for a rebalance or shutdown: {Events} events not stored ({Reason}); they will be delivered again")]
    public static partial void FinalFlushSkipped(ILogger logger, int events, string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The consume loop stopped on an error; offsets of unhandled records were not stored")]
    public static partial void LoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The store has not taken a batch for a while; {Partitions} partition(s) paused, polling goes on to keep the group membership")]
    public static partial void Paused(ILogger logger, int partitions);

    [LoggerMessage(Level = LogLevel.Information, Message = "The store takes batches again; partitions resumed")]
    public static partial void Resumed(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Batches} batch(es) still with the store after the drain timeout; their offsets will not be stored, and their events are read again")]
    public static partial void DrainTimedOut(ILogger logger, int batches);

    [LoggerMessage(Level = LogLevel.Information, Message = "Offset of {TopicPartition} not stored: {Reason}")]
    public static partial void OffsetNotStored(ILogger logger, TopicPartition topicPartition, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{TopicPartition} stays with this member: reading it again from offset {Offset}, the first event not stored before the rebalance")]
    public static partial void Rewound(ILogger logger, TopicPartition topicPartition, long offset);

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumer closed; stored offsets committed")]
    public static partial void Stopped(ILogger logger);
}
