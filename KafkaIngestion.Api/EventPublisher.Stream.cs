using System.Diagnostics;
using Confluent.Kafka;
using KafkaIngestion.Events;
using KafkaIngestion.ServiceDefaults.Kafka;

namespace KafkaIngestion.Api;

/// <summary>The publisher's path for events that arrive one by one on a stream (gRPC's PublishStream).</summary>
internal sealed partial class EventPublisher
{
    /// <summary>
    /// Hands one event to the producer, waiting up to <see cref="IngestionOptions.PublishTimeout"/>
    /// for room in a full queue. Its outcome goes to <paramref name="settled"/> once: on the
    /// producer's poll thread when the broker's verdict comes, or here when it could not be handed
    /// over. Counted, measured and traced like <see cref="PublishAsync"/>'s events.
    /// </summary>
    /// <param name="stream">The stream's span, linked from the event's own.</param>
    public async ValueTask ProduceAsync<TState>(IngestEvent ingestEvent, Action<PublishOutcome, TState> settled, TState state,
        ActivityContext stream, CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        var activity = KafkaTelemetry.StartStreamSend(Topic, stream);
        var message = CloudEventKafkaBinding.ToMessage(ingestEvent, options.Value.KafkaContentMode);
        foreach (var header in KafkaTelemetry.ContextHeaders(activity))
        {
            message.Headers.Add(header);
        }

        counters.AddInFlight(1);
        void Settle(PublishOutcome outcome, bool counted)
        {
            counters.AddInFlight(-1);
            if (counted)
            {
                answers.Delivered(outcome);
                metrics.RecordPublished(1, timeProvider.GetElapsedTime(started));
            }

            if (activity is not null)
            {
                if (outcome.Stored)
                {
                    KafkaTelemetry.SetRecord(activity, outcome.Partition, outcome.Offset);
                }
                else
                {
                    activity.SetStatus(ActivityStatusCode.Error, $"not acknowledged: {outcome.Error} {outcome.Reason}");
                }

                activity.Dispose();
            }

            settled(outcome, state);
        }

        while (true)
        {
            try
            {
                producer.Produce(Topic, message, report => Settle(PublishOutcome.From(report), counted: true));
                return;
            }
            catch (ProduceException<string?, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull
                && timeProvider.GetElapsedTime(started) < options.Value.PublishTimeout)
            {
                try
                {
                    await Task.Delay(QueueFullBackoff, timeProvider, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    // The stream went away before the event was handed over: it never will be.
                    Settle(PublishOutcome.Failed(new Error(ErrorCode.Local_Fatal, "stream aborted")), counted: false);
                    return;
                }
            }
            catch (ProduceException<string?, byte[]> ex)
            {
                Settle(PublishOutcome.Failed(ex.Error), counted: true);
                return;
            }
        }
    }
}
