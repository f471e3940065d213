using Confluent.Kafka;

namespace KafkaIngestion.Consumer;

/// <summary>The consumer's librdkafka settings, before <c>Kafka:Consumer:Config</c> may override them.</summary>
internal static class ConsumerDefaults
{
    /// <summary>Group membership, earliest offset for a new group, offsets stored by us.</summary>
    public static void Configure(ConsumerConfig config)
    {
        config.GroupId = ConsumerOptions.DefaultGroupId;
        config.AutoOffsetReset = AutoOffsetReset.Earliest;
        config.EnableAutoCommit = true;
        config.EnableAutoOffsetStore = false;
        config.AutoCommitIntervalMs = 1_000;
        // How long the broker may hold a fetch while it has nothing new. librdkafka's default
        // (500 ms) showed as half a second between the API's send span and the consumer's
        // process span on the embedded broker; a real broker answers as soon as data arrives,
        // so the lower ceiling only costs a few more empty fetches while idle.
        config.FetchWaitMaxMs = 50;
        // A broker that goes away without closing the connection leaves requests unanswered;
        // librdkafka gives up on them after socket.timeout.ms (60 s by default), and until then
        // the member neither fetches nor heartbeats — it stood still for a minute after a 10 s
        // broker outage in the fault suite, and lost its group membership. Fetches return in
        // fetch.wait.max.ms and the other requests in milliseconds, so 10 s is ample.
        config.SocketTimeoutMs = 10_000;
        // Once librdkafka's prefetch queue holds queued.min.messages it stops fetching for
        // fetch.queue.backoff.ms (1 s by default), while the loop empties that queue in well
        // under a second and then waits idle. Checking again after 50 ms keeps the queue fed;
        // the queue's size limits are unchanged. Figures: BENCHMARKS.md, "Consumer drain rate".
        config.FetchQueueBackoffMs = 50;
        // librdkafka prefetches up to 64 MiB by default, native memory on top of the managed
        // heap; a quarter of that still holds a few hundred milliseconds of a full-speed drain.
        config.QueuedMaxMessagesKbytes = 16 * 1024;
    }
}
