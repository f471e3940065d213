using System.Diagnostics.Metrics;
using Confluent.Kafka;

namespace KafkaIngestion.Consumer;

/// <summary>
/// The consumer's OpenTelemetry instruments (meter <c>KafkaIngestion.Consumer</c>): what
/// <c>/status</c> counts, lag per partition, how long a batch takes, and how long events wait
/// between the API accepting them and their storage.
/// </summary>
internal sealed class ConsumerMetrics
{
    public const string MeterName = "KafkaIngestion.Consumer";

    private readonly Histogram<double> _batchDuration;
    private readonly Histogram<double> _endToEnd;

    public ConsumerMetrics(IMeterFactory meterFactory, ConsumerCounters counters, IConsumer<string?, byte[]> consumer)
    {
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableCounter("kafkaingestion.consumer.events.processed", () => counters.Processed, "{event}",
            "Events stored, or found already stored.");
        meter.CreateObservableCounter("kafkaingestion.consumer.events.duplicates", () => counters.Duplicates, "{event}",
            "Events whose id was already stored (redelivered or re-sent).");
        meter.CreateObservableCounter("kafkaingestion.consumer.events.dead_lettered", () => counters.DeadLettered, "{event}",
            "Records moved to the dead-letter topic.");
        meter.CreateObservableCounter("kafkaingestion.consumer.events.gap", () => counters.GapEvents, "{event}",
            "Records that left the broker before they were processed.");
        // Local librdkafka state, no broker round trip: safe to read on the collection thread.
        meter.CreateObservableGauge("kafkaingestion.consumer.lag", () => consumer.Assignment.Select(partition =>
        {
            var position = consumer.Position(partition);
            var high = consumer.GetWatermarkOffsets(partition).High;
            var lag = position.IsSpecial || high.IsSpecial ? 0 : Math.Max(0, high.Value - position.Value);
            return new Measurement<long>(lag, new KeyValuePair<string, object?>("messaging.destination.partition.id", partition.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }), "{message}", "Records in each assigned partition after this member's position.");
        _batchDuration = meter.CreateHistogram("kafkaingestion.consumer.batch.duration", "s", "From reading a batch's first record to its storage.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _endToEnd = meter.CreateHistogram("kafkaingestion.event.latency", "s", "From the event's time (its acceptance by the API unless the sender set one) to its storage.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
    }

    public void RecordBatch(TimeSpan duration) => _batchDuration.Record(duration.TotalSeconds);

    public void RecordStored(TimeSpan sinceEventTime) => _endToEnd.Record(Math.Max(0, sinceEventTime.TotalSeconds));
}
