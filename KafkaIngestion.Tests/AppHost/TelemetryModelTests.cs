namespace KafkaIngestion.Tests.AppHost;

/// <summary>How the app model hands telemetry settings to the services, checked without starting anything.</summary>
public sealed class TelemetryModelTests
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(1);
    private static readonly string[] Services = ["api", "consumer", "loadgen"];

    [Fact]
    public async Task TelemetrySettingsGivenToTheAppHostReachEveryService()
    {
        var environments = await EnvironmentsAsync(["Kafka:Mode=embedded", "Telemetry:Prometheus:Enabled=true", "Telemetry:LogPayloads=true"]);

        foreach (var service in Services)
        {
            Assert.Equal("true", environments[service]["Telemetry__Prometheus__Enabled"]);
            Assert.Equal("true", environments[service]["Telemetry__LogPayloads"]);
        }
    }

    [Fact]
    public async Task WithoutTelemetrySettingsTheServicesKeepTheirDefaults()
    {
        var environments = await EnvironmentsAsync(["Kafka:Mode=embedded"]);

        foreach (var service in Services)
        {
            Assert.DoesNotContain(environments[service].Keys, key => key.StartsWith("Telemetry__", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task TheServicesSampleTracesThemselvesUnlessTheAppHostIsGivenASampler()
    {
        var defaults = await EnvironmentsAsync(["Kafka:Mode=embedded"]);
        var given = await EnvironmentsAsync(["Kafka:Mode=embedded", "OTEL_TRACES_SAMPLER=parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG=0.5"]);

        foreach (var service in Services)
        {
            // Aspire's always_on would override Telemetry:Tracing.
            Assert.DoesNotContain("OTEL_TRACES_SAMPLER", defaults[service].Keys);
            Assert.Equal("parentbased_traceidratio", given[service]["OTEL_TRACES_SAMPLER"]);
            Assert.Equal("0.5", given[service]["OTEL_TRACES_SAMPLER_ARG"]);
        }
    }

    private static async Task<Dictionary<string, Dictionary<string, object>>> EnvironmentsAsync(string[] arguments)
    {
        using var cancellation = new CancellationTokenSource(BuildTimeout);
        using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.KafkaIngestion_AppHost>(arguments, cancellation.Token);
        var environments = new Dictionary<string, Dictionary<string, object>>(StringComparer.Ordinal);
        foreach (var service in Services)
        {
            var resource = builder.Resources.Single(r => r.Name == service);
            var environment = new Dictionary<string, object>(StringComparer.Ordinal);
            var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), resource, environment);
            foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
            {
                await callback.Callback(context);
            }

            environments[service] = environment;
        }

        return environments;
    }
}
