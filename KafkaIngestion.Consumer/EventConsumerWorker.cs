using Confluent.Kafka;
using KafkaIngestion.Events;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Consumer;

/// <summary>
/// Reads <c>events</c> in the consumer group on a thread of its own (Confluent's
/// <c>Consume</c> blocks), handles each record, and only then stores its offset, so a crash
/// re-delivers rather than skips (at-least-once). Stored offsets are committed in the
/// background by librdkafka and finally by <c>Close()</c>.
/// </summary>
internal sealed partial class EventConsumerWorker(
    IConsumer<string?, byte[]> consumer,
    ProcessedEventLog processedEvents,
    DeadLetterWriter deadLetters,
    ConsumerLoopState loopState,
    IOptions<ConsumerOptions> options,
    ILogger<EventConsumerWorker> logger) : BackgroundService
{
    /// <summary>Group membership, earliest offset for a new group, offsets stored by us.</summary>
    public static void ConfigureConsumerDefaults(ConsumerConfig config)
    {
        config.GroupId = ConsumerOptions.DefaultGroupId;
        config.AutoOffsetReset = AutoOffsetReset.Earliest;
        config.EnableAutoCommit = true;
        config.EnableAutoOffsetStore = false;
        config.AutoCommitIntervalMs = 1_000;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                ConsumeLoop(stoppingToken);
                finished.SetResult();
            }
            catch (Exception ex)
            {
                loopState.Fail(ex.Message);
                LogLoopFailed(logger, ex);
                finished.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "kafka-consume",
        };
        thread.Start();
        return finished.Task;
    }

    private void ConsumeLoop(CancellationToken stoppingToken)
    {
        var topic = options.Value.Topic;
        consumer.Subscribe(topic);
        loopState.Running();
        LogStarted(logger, topic, consumer.MemberId);

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                ConsumeResult<string?, byte[]>? record;
                try
                {
                    record = consumer.Consume(stoppingToken);
                }
                catch (ConsumeException ex) when (!ex.Error.IsFatal)
                {
                    // librdkafka reports and recovers from these itself (e.g. a broker
                    // going away); nothing was consumed, so nothing is skipped.
                    loopState.RecordError(ex.Error.Reason);
                    LogConsumeError(logger, ex.Error.Code, ex.Error.Reason);
                    continue;
                }

                if (record is null || record.IsPartitionEOF)
                {
                    continue;
                }

                Handle(record, stoppingToken);
                consumer.StoreOffset(record);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            // Commits the stored offsets and leaves the group at once, so partitions move to
            // the other members without waiting for a session timeout.
            consumer.Close();
            loopState.Stopped();
            LogStopped(logger);
        }
    }

    private void Handle(ConsumeResult<string?, byte[]> record, CancellationToken stoppingToken)
    {
        if (CloudEventKafkaBinding.TryRead(record.Message, out var ingestEvent, out var error))
        {
            processedEvents.Record(ingestEvent!);
            return;
        }

        // A record that is not a valid event will never become one: retrying cannot help, and
        // acknowledging it silently would hide it. It goes to the dead-letter topic.
        deadLetters.Write(record, error!, stoppingToken);
        processedEvents.RecordDeadLettered();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming {Topic} as member {MemberId}")]
    private static partial void LogStarted(ILogger logger, string topic, string memberId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consume error {Code}: {Reason}")]
    private static partial void LogConsumeError(ILogger logger, ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The consume loop stopped on an error; offsets of unhandled records were not stored")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumer closed; stored offsets committed")]
    private static partial void LogStopped(ILogger logger);
}
