using System.Diagnostics.Metrics;
using Confluent.Kafka;
using KafkaIngestion.ServiceDefaults.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KafkaIngestion.Tests.ServiceDefaults;

/// <summary>
/// librdkafka's statistics as OpenTelemetry instruments. The samples are real reports captured
/// from the embedded broker: a producer in the middle of sending ~1 M messages, and a group
/// member paused after committing part of partition 1 (partition 0 has no committed offset).
/// </summary>
public sealed class KafkaStatisticsTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly string _meterName = $"KafkaIngestion.Tests.{Guid.NewGuid():N}";

    private static string Sample(string client) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "ServiceDefaults", "Samples", $"librdkafka-{client}-statistics.json"));

    [Fact]
    public void AProducerReportBecomesQueueTransmittedAndBrokerInstruments()
    {
        var metrics = new KafkaStatisticsMetrics(_services.GetRequiredService<IMeterFactory>(), _meterName);
        metrics.Register().Update(Sample("producer"));

        var measured = Collect(_meterName);

        Assert.Equal(21412, measured.Single("kafkaingestion.producer.queue.messages").Value);
        Assert.Equal(149884, measured.Single("kafkaingestion.producer.queue.size").Value);
        Assert.Equal(988800, measured.Single("kafkaingestion.producer.transmitted.messages").Value);
        Assert.Equal(8788090, measured.Single("kafkaingestion.producer.transmitted.size").Value);
        var average = measured.Single("kafkaingestion.kafka.broker.rtt.average");
        Assert.Equal(0.007365, average.Value, precision: 9);
        Assert.Equal("127.0.0.1:42531/1", average.Tags["kafka.broker"]);
        Assert.Equal("api#producer-2", average.Tags["messaging.client.id"]);
        Assert.Equal(0.047359, measured.Single("kafkaingestion.kafka.broker.rtt.p99").Value, precision: 9);
        Assert.Equal(0, measured.Single("kafkaingestion.kafka.transmit.errors").Value);
        Assert.Equal(0, measured.Single("kafkaingestion.kafka.receive.errors").Value);
        Assert.Equal(0, measured.Single("kafkaingestion.kafka.request.retries").Value);
        // A producer reports no consumer figures.
        Assert.Empty(measured.All("kafkaingestion.consumer.committed_lag"));
        Assert.Empty(measured.All("kafkaingestion.consumer.rebalances"));
    }

    [Fact]
    public void AConsumerReportBecomesLagFetchQueueRebalanceAndBrokerInstruments()
    {
        var metrics = new KafkaStatisticsMetrics(_services.GetRequiredService<IMeterFactory>(), _meterName);
        metrics.Register().Update(Sample("consumer"));

        var measured = Collect(_meterName);

        // Partition 0 has no committed offset yet (-1) and -1 is librdkafka's internal partition:
        // only partition 1's lag is a figure.
        var lag = measured.Single("kafkaingestion.consumer.committed_lag");
        Assert.Equal(306478, lag.Value);
        Assert.Equal("1", lag.Tags["messaging.destination.partition.id"]);
        Assert.Equal("events", lag.Tags["messaging.destination.name"]);
        Assert.Equal("consumer#consumer-3", lag.Tags["messaging.client.id"]);
        Assert.Equal(["0", "1"], measured.All("kafkaingestion.consumer.fetch_queue.messages")
            .Select(m => (string)m.Tags["messaging.destination.partition.id"]!).Order());
        Assert.Equal(1, measured.Single("kafkaingestion.consumer.rebalances").Value);
        // The learned broker and the group coordinator's connection each report errors; neither
        // measured a round trip in the last window, so neither reports one.
        Assert.Equal(2, measured.All("kafkaingestion.kafka.transmit.errors").Count);
        Assert.Empty(measured.All("kafkaingestion.kafka.broker.rtt.average"));
        Assert.Empty(measured.All("kafkaingestion.producer.queue.messages"));
    }

    [Fact]
    public void EveryClientOfAServiceIsMeasuredWithItsOwnClientId()
    {
        var metrics = new KafkaStatisticsMetrics(_services.GetRequiredService<IMeterFactory>(), _meterName);
        metrics.Register().Update(Sample("producer"));
        metrics.Register().Update(Sample("consumer"));

        var measured = Collect(_meterName);

        Assert.Equal(["api#producer-2", "consumer#consumer-3"], measured.All("kafkaingestion.kafka.request.retries")
            .Select(m => (string)m.Tags["messaging.client.id"]!).Distinct().Order());
    }

    [Theory]
    [InlineData("")]
    [InlineData("{not json")]
    [InlineData("null")]
    [InlineData("[1, 2, 3]")]
    [InlineData("""{"msg_cnt": "many"}""")]
    [InlineData("""{"brokers": {"b": {"rtt": 7}}}""")]
    public void AMalformedReportNeverThrowsAndKeepsTheLastGoodOne(string malformed)
    {
        var statistics = new KafkaStatistics();

        // What librdkafka's thread calls: it only hands the string over, so it cannot throw.
        statistics.Update(malformed);
        Assert.Null(statistics.Current);
        Assert.Equal(1, statistics.MalformedReports);

        statistics.Update(Sample("producer"));
        Assert.Equal(21412, statistics.Current?.QueueMessages);
        statistics.Update(malformed);
        Assert.Equal(21412, statistics.Current?.QueueMessages);
        Assert.Equal(2, statistics.MalformedReports);
    }

    [Fact]
    public void AReportIsParsedOnceHoweverOftenItIsRead()
    {
        var statistics = new KafkaStatistics();
        statistics.Update(Sample("producer"));

        var first = statistics.Current;

        Assert.Same(first, statistics.Current);
        statistics.Update(Sample("producer"));
        Assert.NotSame(first, statistics.Current);
    }

    [Fact]
    public async Task ARegisteredProducerHandsItsStatisticsToTheServicesMeter()
    {
        // A real librdkafka producer; nothing listens on port 1, which changes nothing about its
        // statistics (they then show an empty queue and a broker that is down).
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = _meterName, DisableDefaults = true });
        builder.Configuration["ConnectionStrings:kafka"] = "127.0.0.1:1";
        builder.Configuration["Kafka:Producer:Config:statistics.interval.ms"] = "100";
        builder.Configuration["Kafka:Producer:DisableHealthChecks"] = "true";
        builder.AddKafkaProducer<Null, Null>("kafka");
        using var host = builder.Build();
        var producer = host.Services.GetRequiredService<IProducer<Null, Null>>(); // disposed with the host
        var statistics = host.Services.GetRequiredKeyedService<KafkaStatistics>(KafkaClientExtensions.ProducerProbeKey);

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (statistics.Current is null)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), deadline.Token);
        }

        var measured = Collect(_meterName);
        var queue = measured.Single("kafkaingestion.producer.queue.messages");
        Assert.Equal(0, queue.Value);
        Assert.Equal(producer.Name, queue.Tags["messaging.client.id"]);
    }

    private static Measured Collect(string meterName)
    {
        var measured = new Measured();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == meterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => measured.Add(instrument.Name, value, tags));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => measured.Add(instrument.Name, value, tags));
        listener.Start();
        listener.RecordObservableInstruments();
        return measured;
    }

    public void Dispose() => _services.Dispose();

    private sealed record Measurement(double Value, Dictionary<string, object?> Tags);

    private sealed class Measured
    {
        private readonly List<(string Name, Measurement Measurement)> _all = [];

        public void Add(string name, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
            _all.Add((name, new Measurement(value, new Dictionary<string, object?>(tags.ToArray()))));

        public List<Measurement> All(string name) => [.. _all.Where(m => m.Name == name).Select(m => m.Measurement)];

        public Measurement Single(string name) => Assert.Single(All(name));
    }
}
