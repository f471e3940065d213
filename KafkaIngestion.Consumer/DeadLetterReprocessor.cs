using Confluent.Kafka;
using KafkaIngestion.ConsumerApi;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Consumer;

/// <summary>
/// Sends what is in the dead-letter topic back through processing, once its cause is fixed (a
/// store constraint relaxed, a handler bug deployed away). Each record goes back to the events
/// topic unchanged (same key, value and CloudEvents headers; the <c>dlq_*</c> headers dropped),
/// so it is validated and stored like any event, and the store's unique id makes a record that
/// was already stored a harmless duplicate. A record that still fails lands in the dead-letter
/// topic again, after the end mark this run stopped at, so a run always ends.
/// </summary>
internal sealed partial class DeadLetterReprocessor(
    IServiceProvider services,
    IProducer<string?, byte[]> producer,
    IOptions<ConsumerOptions> options,
    ILogger<DeadLetterReprocessor> logger)
{
    /// <summary>The group whose committed offsets mark how far the dead-letter topic was reprocessed.</summary>
    public const string GroupId = ConsumerOptions.DefaultGroupId + ".dead-letters";

    private static readonly TimeSpan BrokerTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PollWait = TimeSpan.FromMilliseconds(500);

    private int _running;

    /// <returns>The run's result, or null when a run is already going on.</returns>
    /// <exception cref="KafkaException">The broker could not be read or written; nothing was marked reprocessed.</exception>
    public async Task<DeadLetterReprocessResult?> ReprocessAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _running, 1, 0) != 0)
        {
            return null;
        }

        try
        {
            // Confluent's consumer blocks: keep it off the request thread.
            return await Task.Run(() => Reprocess(cancellationToken), cancellationToken);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private DeadLetterReprocessResult Reprocess(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var config = services.CreateConsumerConfig(config =>
        {
            config.GroupId = GroupId;
            config.AutoOffsetReset = AutoOffsetReset.Earliest;
            config.EnableAutoCommit = false;
            config.EnableAutoOffsetStore = false;
        });
        using var consumer = new ConsumerBuilder<string?, byte[]>(config).Build();
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();

        var partitions = admin.GetMetadata(settings.DeadLetterTopic, BrokerTimeout).Topics
            .SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Topic, p.PartitionId)))
            .ToList();
        var committed = consumer.Committed(partitions, BrokerTimeout);

        // Where this run stops: the end of each partition now. Records dead-lettered while it
        // runs (including ones it sends back that fail again) wait for the next run.
        var remaining = new Dictionary<TopicPartition, (long Next, long End)>();
        foreach (var position in committed)
        {
            var watermarks = consumer.QueryWatermarkOffsets(position.TopicPartition, BrokerTimeout);
            var next = position.Offset.IsSpecial ? watermarks.Low.Value : Math.Max(position.Offset.Value, watermarks.Low.Value);
            if (next < watermarks.High.Value)
            {
                remaining[position.TopicPartition] = (next, watermarks.High.Value);
            }
        }

        consumer.Assign(remaining.Select(r => new TopicPartitionOffset(r.Key, r.Value.Next)));
        var sent = 0;
        var failures = new List<Error>();
        var reachedEnd = new List<TopicPartitionOffset>();
        while (remaining.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (consumer.Consume(PollWait) is not { IsPartitionEOF: false } record
                || !remaining.TryGetValue(record.TopicPartition, out var range))
            {
                continue;
            }

            producer.Produce(settings.Topic, WithoutDeadLetterHeaders(record.Message), report =>
            {
                if (report.Error.IsError)
                {
                    lock (failures)
                    {
                        failures.Add(report.Error);
                    }
                }
            });
            sent++;

            if (record.Offset.Value + 1 >= range.End)
            {
                remaining.Remove(record.TopicPartition);
                reachedEnd.Add(new TopicPartitionOffset(record.TopicPartition, record.Offset + 1));
            }
        }

        // Marked reprocessed only when every record is back in the events topic: a failed run
        // leaves the marks where they were, so the next run sends the same records again.
        producer.Flush(cancellationToken);
        lock (failures)
        {
            if (failures.Count > 0)
            {
                throw new KafkaException(failures[0]);
            }
        }

        if (reachedEnd.Count > 0)
        {
            consumer.Commit(reachedEnd);
        }

        consumer.Close();
        LogReprocessed(logger, sent, settings.DeadLetterTopic, settings.Topic);
        return new DeadLetterReprocessResult(sent);
    }

    private static Message<string?, byte[]> WithoutDeadLetterHeaders(Message<string?, byte[]> deadLettered)
    {
        var headers = new Headers();
        foreach (var header in deadLettered.Headers ?? [])
        {
            if (!header.Key.StartsWith(DeadLetterWriter.HeaderPrefix, StringComparison.Ordinal))
            {
                headers.Add(header.Key, header.GetValueBytes());
            }
        }

        return new Message<string?, byte[]> { Key = deadLettered.Key, Value = deadLettered.Value, Headers = headers };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sent {Records} dead-lettered records from {DeadLetterTopic} back to {Topic}")]
    private static partial void LogReprocessed(ILogger logger, int records, string deadLetterTopic, string topic);
}
