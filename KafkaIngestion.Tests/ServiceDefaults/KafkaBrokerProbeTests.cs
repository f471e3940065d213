using Confluent.Kafka;
using KafkaIngestion.ServiceDefaults.Kafka;

namespace KafkaIngestion.Tests.ServiceDefaults;

public sealed class KafkaBrokerProbeTests
{
    [Fact]
    public async Task AfterAFatalClientErrorEveryCheckReportsItWhateverTheCluster()
    {
        // Nothing listens on port 1; the fatal error is what the check must report, at once.
        using var producer = new ProducerBuilder<Null, Null>(new ProducerConfig { BootstrapServers = "127.0.0.1:1" }).Build();
        using var probe = new KafkaBrokerProbe(producer.Handle, TimeSpan.FromSeconds(5), TimeProvider.System);

        probe.RecordFatal(new Error(ErrorCode.OutOfOrderSequenceNumber, "broker lost the producer's sequence", isFatal: true));
        var first = await probe.CheckAsync(CancellationToken.None);
        var again = await probe.CheckAsync(CancellationToken.None);

        Assert.False(first.Reachable);
        Assert.Contains("failed fatally", first.Error, StringComparison.Ordinal);
        Assert.Contains("OutOfOrderSequenceNumber", first.Error, StringComparison.Ordinal);
        Assert.False(again.Reachable);
    }
}
