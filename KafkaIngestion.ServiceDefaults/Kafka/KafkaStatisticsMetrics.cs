using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace KafkaIngestion.ServiceDefaults.Kafka;

/// <summary>
/// Turns the statistics of every Kafka client of a service into OpenTelemetry instruments on the
/// service's own meter (one meter per service). The instruments are observable: each collection
/// reads the clients' latest reports (<see cref="KafkaStatistics.Current"/>), so parsing happens
/// on the collecting thread, never on a client's poll or consume thread. Every measurement names
/// its client (<c>messaging.client.id</c>), as the consumer service runs a consumer and a
/// dead-letter producer.
/// </summary>
internal sealed class KafkaStatisticsMetrics
{
    private const string ClientId = "messaging.client.id";
    private const string Broker = "kafka.broker";
    private const string Topic = "messaging.destination.name";
    private const string Partition = "messaging.destination.partition.id";
    private const double MicrosecondsPerSecond = 1_000_000;

    private ImmutableArray<KafkaStatistics> _clients = [];

    public KafkaStatisticsMetrics(IMeterFactory meterFactory, string meterName)
    {
        var meter = meterFactory.Create(meterName);

        // Producer: the queue librdkafka holds (waiting to be sent or acknowledged) and what it sent.
        meter.CreateObservableUpDownCounter("kafkaingestion.producer.queue.messages",
            () => Clients("producer", report => Of(report.QueueMessages, report)), "{message}",
            "Messages in the producer's queue, waiting to be sent or acknowledged (librdkafka msg_cnt).");
        meter.CreateObservableUpDownCounter("kafkaingestion.producer.queue.size",
            () => Clients("producer", report => Of(report.QueueBytes, report)), "By",
            "Bytes of messages in the producer's queue (librdkafka msg_size).");
        meter.CreateObservableCounter("kafkaingestion.producer.transmitted.messages",
            () => Clients("producer", report => Of(report.TransmittedMessages, report)), "{message}",
            "Messages sent to brokers (librdkafka txmsgs).");
        meter.CreateObservableCounter("kafkaingestion.producer.transmitted.size",
            () => Clients("producer", report => Of(report.TransmittedBytes, report)), "By",
            "Bytes of messages sent to brokers (librdkafka txmsg_bytes).");

        // Consumer: lag as the group committed it, what waits in the fetch queue, rebalances.
        meter.CreateObservableGauge("kafkaingestion.consumer.committed_lag",
            () => Partitions(partition => partition.ConsumerLag >= 0, partition => partition.ConsumerLag), "{message}",
            "Records in each partition after the group's committed offset (librdkafka consumer_lag).");
        meter.CreateObservableUpDownCounter("kafkaingestion.consumer.fetch_queue.messages",
            () => Partitions(_ => true, partition => partition.FetchQueueMessages), "{message}",
            "Records fetched and not yet handed to the application, per partition (librdkafka fetchq_cnt).");
        meter.CreateObservableUpDownCounter("kafkaingestion.consumer.fetch_queue.size",
            () => Partitions(_ => true, partition => partition.FetchQueueBytes), "By",
            "Bytes fetched and not yet handed to the application, per partition (librdkafka fetchq_size).");
        meter.CreateObservableCounter("kafkaingestion.consumer.rebalances",
            () => Clients("consumer", report => report.Group is { } group ? Of(group.Rebalances, report) : null), "{rebalance}",
            "Consumer group rebalances this member went through (librdkafka cgrp.rebalance_cnt).");

        // Both: per broker connection.
        meter.CreateObservableCounter("kafkaingestion.kafka.transmit.errors",
            () => Brokers(_ => true, broker => broker.TransmitErrors), "{error}",
            "Errors sending requests to a broker (librdkafka txerrs).");
        meter.CreateObservableCounter("kafkaingestion.kafka.receive.errors",
            () => Brokers(_ => true, broker => broker.ReceiveErrors), "{error}",
            "Errors reading responses from a broker (librdkafka rxerrs).");
        meter.CreateObservableCounter("kafkaingestion.kafka.request.retries",
            () => Brokers(_ => true, broker => broker.Retries), "{request}",
            "Requests sent to a broker again (librdkafka txretries).");
        // Round trips are a window statistic: a window in which nothing was measured says nothing.
        meter.CreateObservableGauge("kafkaingestion.kafka.broker.rtt.average",
            () => Brokers(broker => broker.RoundTrip is { Count: > 0 }, broker => broker.RoundTrip!.Average / MicrosecondsPerSecond), "s",
            "Mean request round-trip time to a broker over the last statistics interval (librdkafka rtt.avg).");
        meter.CreateObservableGauge("kafkaingestion.kafka.broker.rtt.p99",
            () => Brokers(broker => broker.RoundTrip is { Count: > 0 }, broker => broker.RoundTrip!.P99 / MicrosecondsPerSecond), "s",
            "99th percentile request round-trip time to a broker over the last statistics interval (librdkafka rtt.p99).");
    }

    /// <summary>The statistics of a new client, observed from now on.</summary>
    public KafkaStatistics Register()
    {
        var statistics = new KafkaStatistics();
        ImmutableInterlocked.Update(ref _clients, clients => clients.Add(statistics));
        return statistics;
    }

    private IEnumerable<KafkaStatisticsReport> Reports()
    {
        foreach (var client in _clients)
        {
            if (client.Current is { } report)
            {
                yield return report;
            }
        }
    }

    private IEnumerable<Measurement<long>> Clients(string type, Func<KafkaStatisticsReport, Measurement<long>?> measure) =>
        Reports().Where(report => report.Type == type).Select(measure).OfType<Measurement<long>>();

    private static Measurement<long> Of(long value, KafkaStatisticsReport report) =>
        new(value, new KeyValuePair<string, object?>(ClientId, report.Name));

    private IEnumerable<Measurement<T>> Brokers<T>(Func<KafkaBrokerStatistics, bool> include, Func<KafkaBrokerStatistics, T> value) where T : struct =>
        from report in Reports()
        from broker in report.Brokers.Values
        where include(broker)
        select new Measurement<T>(value(broker),
            new KeyValuePair<string, object?>(ClientId, report.Name),
            new KeyValuePair<string, object?>(Broker, broker.Name));

    private IEnumerable<Measurement<long>> Partitions(Func<KafkaPartitionStatistics, bool> include, Func<KafkaPartitionStatistics, long> value) =>
        from report in Reports()
        where report.Type == "consumer"
        from topic in report.Topics
        from partition in topic.Value.Partitions.Values
        // -1 is librdkafka's internal "unassigned" partition, not one of the topic's; partitions
        // the client only knows from metadata (another member's) are not this member's business.
        where partition.Partition >= 0 && partition.Desired && include(partition)
        select new Measurement<long>(value(partition),
            new KeyValuePair<string, object?>(ClientId, report.Name),
            new KeyValuePair<string, object?>(Topic, topic.Key),
            new KeyValuePair<string, object?>(Partition, partition.Partition.ToString(CultureInfo.InvariantCulture)));
}
