using Confluent.Kafka;
using KafkaIngestion.ServiceDefaults.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

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

    [Fact]
    public async Task LivenessFailsOnlyOnceTheClientFailedFatallyNotWhileTheClusterIsUnreachable()
    {
        // Liveness is what an orchestrator restarts on: an unreachable cluster is not cured by a
        // restart (and must not cause one), a fatal client error only is.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration["ConnectionStrings:kafka"] = "127.0.0.1:1";
        builder.AddKafkaProducer<Null, Null>("kafka");
        builder.Services.AddHealthChecks();
        using var host = builder.Build();
        var health = host.Services.GetRequiredService<HealthCheckService>();
        static bool Live(HealthCheckRegistration registration) => registration.Tags.Contains("live");

        var before = await health.CheckHealthAsync(Live, CancellationToken.None);
        host.Services.GetRequiredKeyedService<KafkaBrokerProbe>(KafkaClientExtensions.ProducerProbeKey)
            .RecordFatal(new Error(ErrorCode.Local_Inconsistent, "succeeded when expecting failure", isFatal: true));
        var after = await health.CheckHealthAsync(Live, CancellationToken.None);

        Assert.Equal(HealthStatus.Healthy, before.Status);
        Assert.Equal(HealthStatus.Unhealthy, after.Status);
        Assert.Contains("failed fatally", Assert.Single(after.Entries, e => e.Value.Status == HealthStatus.Unhealthy).Value.Description, StringComparison.Ordinal);
    }
}
