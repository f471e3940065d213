using Confluent.Kafka;
using KafkaIngestion.Events;
using KafkaIngestion.ServiceDefaults.Kafka;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Api;

/// <summary>What the broker said about one event.</summary>
internal readonly record struct PublishOutcome(bool Stored, int Partition, long Offset, ErrorCode Error, string? Reason)
{
    /// <summary>
    /// The broker (or the client, before sending: librdkafka uses the same code) refused the record for its size: sending it
    /// again cannot help, so it is answered like invalid input, not like an outage.
    /// </summary>
    public bool TooLarge => IsTooLarge(Error);

    public static PublishOutcome Failed(Error error) => new(false, -1, -1, error.Code, error.Reason);

    /// <summary>
    /// Only an event the broker persisted counts as stored; "possibly persisted" is a failure the
    /// client must retry (the id makes the retry harmless downstream).
    /// </summary>
    public static PublishOutcome From(DeliveryReport<string?, byte[]> report) =>
        report.Error.Code == ErrorCode.NoError && report.Status == PersistenceStatus.Persisted
            ? new PublishOutcome(true, report.Partition.Value, report.Offset.Value, ErrorCode.NoError, null)
            : Failed(report.Error.Code == ErrorCode.NoError ? new Error(ErrorCode.Local_Fail, $"delivery status {report.Status}") : report.Error);

    public static bool IsTooLarge(ErrorCode code) =>
        code is ErrorCode.MsgSizeTooLarge or ErrorCode.RecordListTooLarge;
}

/// <summary>
/// Writes events to Kafka and waits for the broker's acknowledgement of each, so that the API
/// answers 2xx only for events the broker durably holds, and answers in bounded time whatever
/// the broker does: up to <see cref="IngestionOptions.PublishTimeout"/> waiting for room in a
/// full producer queue, then up to PublishTimeout (plus a second's grace) for the broker.
/// </summary>
internal sealed partial class EventPublisher(
    IProducer<string?, byte[]> producer,
    IOptions<IngestionOptions> options,
    IngestionCounters counters,
    IngestionAnswers answers,
    IngestionMetrics metrics,
    TimeProvider timeProvider,
    ILogger<EventPublisher> logger)
{
    private static readonly TimeSpan QueueFullBackoff = TimeSpan.FromMilliseconds(5);

    // How long past message.timeout.ms (= PublishTimeout) of the last record the API still waits
    // for librdkafka's verdict before it answers 503 by itself.
    private static readonly TimeSpan VerdictGrace = TimeSpan.FromSeconds(1);

    public string Topic => options.Value.Topic;

    /// <summary>
    /// Durability first: every in-sync replica must have the event (acks=all) and retries may
    /// not duplicate or reorder it (idempotence). lz4 keeps more events inside a partition's
    /// retention window. A 1 ms linger still batches concurrent requests into one produce
    /// request; every millisecond more is added to each answer's latency (BENCHMARKS.md, "What
    /// the figures say").
    /// The delivery timeout is the API's publish deadline, so no request waits longer.
    /// </summary>
    public static void ConfigureProducerDefaults(IServiceProvider services, ProducerConfig config)
    {
        var ingestion = services.GetRequiredService<IOptions<IngestionOptions>>().Value;
        config.Acks = Acks.All;
        config.EnableIdempotence = true;
        config.CompressionType = CompressionType.Lz4;
        config.LingerMs = 1;
        config.MessageTimeoutMs = (int)ingestion.PublishTimeout.TotalMilliseconds;
        // Events are checked against this limit before they are produced (EventDraft).
        config.MessageMaxBytes = ingestion.MaxRecordBytes;
        config.SocketNagleDisable = true;
        // Bounded memory: past these the producer says "queue full" and requests wait, then 503.
        config.QueueBufferingMaxMessages = 500_000;
        config.QueueBufferingMaxKbytes = 128 * 1024;
        // Delivery reports need only status, partition and offset; by default Confluent copies
        // every message's key, value and headers back into .NET objects as well.
        config.DeliveryReportFields = "status";
    }

    /// <returns>One outcome per event, in order.</returns>
    public async Task<PublishOutcome[]> PublishAsync(IReadOnlyList<IngestEvent> events, CancellationToken cancellationToken)
    {
        var deliveries = new PendingDeliveries(events.Count, counters, answers);
        var started = timeProvider.GetTimestamp();
        // One span for the records of one request, ended once the broker acknowledged them all;
        // each record carries its context to the consumer.
        using var activity = KafkaTelemetry.StartSend(Topic, events.Count);
        var traceHeaders = KafkaTelemetry.ContextHeaders(activity);
        var index = 0;
        var contentMode = options.Value.KafkaContentMode;
        counters.AddInFlight(events.Count);
        try
        {
            for (; index < events.Count; index++)
            {
                var message = CloudEventKafkaBinding.ToMessage(events[index], contentMode);
                foreach (var header in traceHeaders)
                {
                    message.Headers.Add(header);
                }
                var slot = index;
                while (true)
                {
                    try
                    {
                        producer.Produce(Topic, message, report => deliveries.Complete(slot, report));
                        break;
                    }
                    catch (ProduceException<string?, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull
                        && timeProvider.GetElapsedTime(started) < options.Value.PublishTimeout)
                    {
                        // Backpressure: the producer holds as much as it may. Wait for room, but
                        // only until the deadline.
                        await Task.Delay(QueueFullBackoff, timeProvider, cancellationToken);
                    }
                    catch (ProduceException<string?, byte[]> ex)
                    {
                        deliveries.Fail(slot, ex.Error);
                        break;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away mid-batch: what was handed over is still delivered (and
            // counted); what was not will never be.
            for (; index < events.Count; index++)
            {
                deliveries.Fail(index, new Error(ErrorCode.Local_Fatal, "request aborted"), counted: false);
            }

            throw;
        }

        PublishOutcome[] outcomes;
        try
        {
            // librdkafka's own verdict (stored, or failed after message.timeout.ms counted from
            // each produce) is the answer. Answering 503 before it would let a record the
            // producer is still retrying be stored after the client was told to resend it: a
            // duplicate in the topic. The wait is capped all the same, since a request already
            // on the wire is only timed out by librdkafka when the broker's answer is overdue.
            outcomes = await deliveries.Task.WaitAsync(options.Value.PublishTimeout + VerdictGrace, timeProvider, cancellationToken);
        }
        catch (TimeoutException)
        {
            // Records still in the producer may yet be stored: the 503 names their ids.
            deliveries.Expire(new Error(ErrorCode.Local_MsgTimedOut, "no acknowledgement within Ingestion:PublishTimeout"));
            outcomes = await deliveries.Task;
        }

        metrics.RecordPublished(events.Count, timeProvider.GetElapsedTime(started));
        if (outcomes is [{ Stored: true } single])
        {
            KafkaTelemetry.SetRecord(activity, single.Partition, single.Offset);
        }

        if (deliveries.FailedCount > 0)
        {
            var first = outcomes.First(o => !o.Stored);
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, $"{deliveries.FailedCount} of {events.Count} not acknowledged: {first.Reason}");
            LogPublishFailed(logger, deliveries.FailedCount, events.Count, Topic, first.Error, first.Reason ?? "");
        }

        return outcomes;
    }

    /// <summary>
    /// Collects delivery reports, which arrive in any order on the producer's poll thread
    /// (Confluent.Kafka's background thread), not the request's. Each event's outcome is settled
    /// once: by its report, or by the deadline, whichever comes first.
    /// </summary>
    private sealed class PendingDeliveries(int count, IngestionCounters counters, IngestionAnswers answers)
    {
        private readonly PublishOutcome[] _outcomes = new PublishOutcome[count];
        private readonly int[] _settled = new int[count];
        private readonly TaskCompletionSource<PublishOutcome[]> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _remaining = count;
        private int _failed;

        public Task<PublishOutcome[]> Task => _done.Task;

        public int FailedCount => Volatile.Read(ref _failed);

        public void Complete(int index, DeliveryReport<string?, byte[]> report)
        {
            if (!Settle(index))
            {
                return; // answered already (deadline passed); the answer stands
            }

            _outcomes[index] = PublishOutcome.From(report);
            if (!_outcomes[index].Stored)
            {
                Interlocked.Increment(ref _failed);
            }

            answers.Delivered(_outcomes[index]);
            Finish();
        }

        public void Fail(int index, Error error, bool counted = true)
        {
            if (Settle(index))
            {
                Failed(index, error, counted);
            }
        }

        /// <summary>Fails every event whose report has not come yet.</summary>
        public void Expire(Error error)
        {
            for (var i = 0; i < _outcomes.Length; i++)
            {
                Fail(i, error);
            }
        }

        private bool Settle(int index) => Interlocked.Exchange(ref _settled[index], 1) == 0;

        private void Failed(int index, Error error, bool counted)
        {
            _outcomes[index] = PublishOutcome.Failed(error);
            Interlocked.Increment(ref _failed);
            if (counted)
            {
                answers.Delivered(_outcomes[index]);
            }

            Finish();
        }

        private void Finish()
        {
            counters.AddInFlight(-1);
            if (Interlocked.Decrement(ref _remaining) == 0)
            {
                _done.TrySetResult(_outcomes);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Failed} of {Events} event(s) were not stored in {Topic}: {Code} {Reason}")]
    private static partial void LogPublishFailed(ILogger logger, int failed, int events, string topic, ErrorCode code, string reason);
}
