using System.Diagnostics.Metrics;

namespace KafkaIngestion.Api;

/// <summary>
/// The API's OpenTelemetry instruments (meter <c>KafkaIngestion.Api</c>, exported with the
/// service's other metrics): the event counters <c>/get_status</c> shows, read when collected,
/// and how long the broker takes to acknowledge a request's events.
/// </summary>
internal sealed class IngestionMetrics
{
    public const string MeterName = "KafkaIngestion.Api";

    private readonly Histogram<double> _publishDuration;
    private readonly Histogram<int> _eventsPerRequest;

    public IngestionMetrics(IMeterFactory meterFactory, IngestionCounters counters)
    {
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableCounter("kafkaingestion.events.accepted", () => counters.Accepted, "{event}",
            "Events the broker acknowledged and the API answered 2xx for.");
        meter.CreateObservableCounter("kafkaingestion.events.rejected",
            () => counters.Rejected.Select(r => new Measurement<long>(r.Value, new KeyValuePair<string, object?>("reason", r.Key))), "{event}",
            "Events refused because the request was wrong (4xx), by reason.");
        meter.CreateObservableCounter("kafkaingestion.events.failed",
            () => counters.Failed.Select(r => new Measurement<long>(r.Value, new KeyValuePair<string, object?>("reason", r.Key))), "{event}",
            "Valid events the broker did not take (5xx), by reason.");
        meter.CreateObservableUpDownCounter("kafkaingestion.producer.in_flight", () => counters.InFlight, "{event}",
            "Events handed to the producer and not yet acknowledged.");
        // The producer's queue, bytes sent and broker figures come from librdkafka's statistics,
        // on this same meter, in ServiceDefaults (KafkaStatisticsMetrics).
        _publishDuration = meter.CreateHistogram("kafkaingestion.publish.duration", "s",
            "From handing a request's events to the producer to the broker's last acknowledgement.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _eventsPerRequest = meter.CreateHistogram<int>("kafkaingestion.request.events", "{event}", "Events per ingestion request.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 10, 50, 100, 500, 1000, 5000] });
    }

    public void RecordPublished(int events, TimeSpan duration)
    {
        _eventsPerRequest.Record(events);
        _publishDuration.Record(duration.TotalSeconds);
    }
}
