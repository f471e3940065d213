using Confluent.Kafka;
using KafkaIngestion.ServiceDefaults.Kafka;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KafkaIngestion.Tests.ServiceDefaults;

/// <summary>
/// The optional Prometheus endpoint, through the service defaults every service uses, in an
/// in-process host (TestServer) with a real Kafka producer whose statistics feed the metrics.
/// </summary>
public sealed class PrometheusEndpointTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ThereIsNoScrapeEndpointByDefault()
    {
        await using var app = await StartAsync([]);
        using var client = app.GetTestClient();

        using var response = await client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task WhenEnabledTheEndpointServesTheServicesMetricsInPrometheusTextFormat()
    {
        await using var app = await StartAsync([new("Telemetry:Prometheus:Enabled", "true")]);
        using var client = app.GetTestClient();
        await WaitForStatisticsAsync(app);

        using var response = await client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        // From librdkafka's statistics, on the service's own meter.
        Assert.Contains("# TYPE kafkaingestion_producer_queue_messages gauge", text, StringComparison.Ordinal);
        Assert.Contains("kafkaingestion_producer_transmitted_messages_total{", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheScrapePathCanBeChanged()
    {
        await using var app = await StartAsync([new("Telemetry:Prometheus:Enabled", "true"), new("Telemetry:Prometheus:Path", "/internal/prometheus")]);
        using var client = app.GetTestClient();

        using var moved = await client.GetAsync("/internal/prometheus");
        using var old = await client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, old.StatusCode);
    }

    [Fact]
    public async Task AScrapePathThatIsNotAnAbsolutePathStopsTheServiceAtStart()
    {
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            StartAsync([new("Telemetry:Prometheus:Enabled", "true"), new("Telemetry:Prometheus:Path", "metrics")]));

        Assert.Contains("Telemetry:Prometheus:Path", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    // Without the endpoint, /metrics is an unknown path, traced like any other 404.
    [InlineData("/metrics", null, true)]
    [InlineData("/metrics", "/metrics", false)]
    [InlineData("/health", null, false)]
    [InlineData("/alive", null, false)]
    [InlineData("/register_event", "/metrics", true)]
    [InlineData("/metrics-and-more", "/metrics", true)]
    public void ScrapesAndProbesAreNotTraced(string path, string? prometheusPath, bool traced)
    {
        var context = new DefaultHttpContext { Request = { Path = path } };

        Assert.Equal(traced, Microsoft.Extensions.Hosting.Extensions.IsTraced(context.Request, prometheusPath is null ? (PathString?)null : new PathString(prometheusPath)));
    }

    private static async Task<WebApplication> StartAsync(KeyValuePair<string, string?>[] settings)
    {
        // A meter name of its own: the OpenTelemetry meter provider listens by name, process-wide.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ApplicationName = $"prometheus-test-{Guid.NewGuid():N}" });
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection([
            // A real producer; nothing listens on port 1, and its statistics report that.
            new("ConnectionStrings:kafka", "127.0.0.1:1"),
            new("Kafka:Producer:Config:statistics.interval.ms", "100"),
            .. settings]);
        builder.AddServiceDefaults();
        builder.AddKafkaProducer<Null, Null>("kafka");
        var app = builder.Build();
        app.MapDefaultEndpoints();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await app.StartAsync(timeout.Token);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return app;
    }

    private static async Task WaitForStatisticsAsync(WebApplication app)
    {
        // The producer is built on first use; its first report arrives one interval later.
        app.Services.GetRequiredService<IProducer<Null, Null>>();
        var statistics = app.Services.GetRequiredKeyedService<KafkaStatistics>(KafkaClientExtensions.ProducerProbeKey);
        using var deadline = new CancellationTokenSource(Timeout);
        while (statistics.Current is null)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), deadline.Token);
        }
    }
}
