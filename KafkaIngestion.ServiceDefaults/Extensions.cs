using System.ComponentModel.DataAnnotations;
using KafkaIngestion.ServiceDefaults;
using KafkaIngestion.ServiceDefaults.Tracing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Adds the cross-cutting services every KafkaIngestion service shares: OpenTelemetry,
/// health checks, service discovery and HTTP resilience. Shaped like the Aspire template.
/// </summary>
public static class Extensions
{
    private const string HealthEndpointPath = "/health";
    private const string AlivenessEndpointPath = "/alive";

    /// <summary>
    /// Marks a request as a status poll (the API's web console reads the consumer's status once a
    /// second while someone watches). Like health probes, such requests are not traced: they
    /// would bury real traffic in the dashboard.
    /// </summary>
    public const string StatusPollHeader = "X-Status-Poll";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();

        builder.AddDefaultHealthChecks();

        builder.Services.AddServiceDiscovery();

        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<TelemetryOptions>()
            .BindConfiguration(TelemetryOptions.Section)
            .ValidateDataAnnotations()
            // ValidateDataAnnotations does not look into nested objects.
            .Validate(options => Validator.TryValidateObject(options.Prometheus, new ValidationContext(options.Prometheus), null, validateAllProperties: true),
                "Telemetry:Prometheus:Path must be an absolute path such as /metrics.")
            .Validate(options => Validator.TryValidateObject(options.Tracing, new ValidationContext(options.Tracing), null, validateAllProperties: true),
                "Telemetry:Tracing:MaxTracesPerSecond must be between 0 and 1000000.")
            .ValidateOnStart();
        // Which exporters exist is decided while the services are registered, before options can
        // be resolved: read the same section directly.
        var telemetry = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        // An invalid path is reported by the options' validation at start, not here.
        var prometheusPath = telemetry.Prometheus is { Enabled: true, Path: ['/', ..] path } ? new PathString(path) : (PathString?)null;

        // Payloads reach the logs only through PayloadLog, at Debug, and only when asked for;
        // the one switch lowers that category's level too, so nothing else needs changing.
        builder.Services.TryAddSingleton<PayloadLog>();
        if (telemetry.LogPayloads)
        {
            builder.Logging.AddFilter(PayloadLog.Category, LogLevel.Debug);
        }

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddMeter(builder.Environment.ApplicationName);
                if (telemetry.Prometheus.Enabled)
                {
                    // Pull as well as push: the exporter answers scrapes from the same instruments.
                    metrics.AddPrometheusExporter();
                }
            })
            .WithTracing(tracing =>
            {
                tracing.AddSource(builder.Environment.ApplicationName, KafkaIngestion.ServiceDefaults.Kafka.KafkaTelemetry.ActivitySourceName)
                    .AddAspNetCoreInstrumentation(options => options.Filter = context => IsTraced(context.Request, prometheusPath))
                    .AddHttpClientInstrumentation()
                    .AddTraceSampling(builder.Services, builder.Configuration);
            });

        builder.AddOpenTelemetryExporters();

        return builder;
    }

    /// <summary>
    /// Whether a request gets a span. Health probes and scrapes arrive every few seconds, status
    /// polls every second: tracing them would bury real traffic in the dashboard.
    /// </summary>
    internal static bool IsTraced(HttpRequest request, PathString? prometheusPath) =>
        !request.Path.StartsWithSegments(HealthEndpointPath)
        && !request.Path.StartsWithSegments(AlivenessEndpointPath)
        && !(prometheusPath is { HasValue: true } scrape && request.Path.StartsWithSegments(scrape))
        && !request.Headers.ContainsKey(StatusPollHeader);

    private static TBuilder AddOpenTelemetryExporters<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // The AppHost sets this variable for every resource; outside Aspire nothing is exported.
        var useOtlpExporter = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

        if (useOtlpExporter)
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            // "live" checks say the process should be restarted if they fail; dependency
            // checks (Kafka) are left untagged so they only affect readiness (/health).
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);

        return builder;
    }

    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        // Health endpoints are open in every environment: the AppHost and orchestrators probe
        // them, and they reveal only check names and states.
        app.MapHealthChecks(HealthEndpointPath);

        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains("live")
        });

        // Open like the health endpoints: metrics carry counts, client ids and broker addresses,
        // no payloads or secrets. Expose the port only to the scraper's network.
        var prometheus = app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value.Prometheus;
        if (prometheus.Enabled)
        {
            app.MapPrometheusScrapingEndpoint(prometheus.Path);
        }

        return app;
    }
}
