namespace Aspire.Hosting;

/// <summary>Leaves trace sampling to the services unless the AppHost was given a sampler.</summary>
internal static class TraceSamplerSettings
{
    private const string Sampler = "OTEL_TRACES_SAMPLER";
    private const string SamplerArgument = "OTEL_TRACES_SAMPLER_ARG";

    /// <summary>
    /// Aspire sets <c>OTEL_TRACES_SAMPLER=always_on</c> for every project in development, which
    /// would override the services' capped default (Telemetry:Tracing). Only a sampler given to
    /// the AppHost itself (<c>OTEL_TRACES_SAMPLER=always_on dotnet run …</c>) is passed on.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithTraceSamplerSettings(this IResourceBuilder<ProjectResource> service, IConfiguration configuration) =>
        // Runs after Aspire's own OTLP callback, which AddProject registered first.
        service.WithEnvironment(context =>
        {
            context.EnvironmentVariables.Remove(Sampler);
            context.EnvironmentVariables.Remove(SamplerArgument);
            foreach (var name in new[] { Sampler, SamplerArgument })
            {
                if (configuration[name] is { Length: > 0 } value)
                {
                    context.EnvironmentVariables[name] = value;
                }
            }
        });
}
