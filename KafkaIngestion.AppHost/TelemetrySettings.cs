namespace Aspire.Hosting;

/// <summary>Hands the AppHost's <c>Telemetry</c> section to a service, where ServiceDefaults reads it.</summary>
internal static class TelemetrySettings
{
    public const string Section = "Telemetry";

    /// <summary>
    /// Every <c>Telemetry:*</c> value of the AppHost's configuration as the service's
    /// environment (<c>Telemetry__Prometheus__Enabled</c>, …). Nothing when the section is empty,
    /// so the services' own defaults (no scrape endpoint, no payloads in logs) hold.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithTelemetrySettings(this IResourceBuilder<ProjectResource> service, IConfiguration configuration)
    {
        foreach (var (key, value) in configuration.GetSection(Section).AsEnumerable())
        {
            if (value is not null)
            {
                service.WithEnvironment(key.Replace(":", "__", StringComparison.Ordinal), value);
            }
        }

        return service;
    }
}
