namespace Aspire.Hosting;

/// <summary>The parts of the app model that AppHost.cs names in one line each.</summary>
internal static class AppModelExtensions
{
    /// <summary>
    /// The service's http endpoint on a fixed port, served by the process itself: the
    /// orchestrator's proxy would halve the requests per second it can take.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithUnproxiedHttpEndpoint(this IResourceBuilder<ProjectResource> service, int port) =>
        service.WithEndpoint("http", endpoint =>
        {
            endpoint.IsProxied = false;
            endpoint.Port = port;
        });

    /// <summary>
    /// The service's cleartext HTTP/2 endpoint (prior knowledge, "h2c": gRPC, and the HTTP API
    /// for clients that speak HTTP/2) on a fixed port, unproxied like <c>http</c>. Kestrel cannot
    /// take HTTP/1.1 and h2c on one cleartext port, so it is a port of its own; the service's
    /// Kestrel:Endpoints names it with Protocols Http2 (which Aspire reads as transport http2).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithUnproxiedHttp2Endpoint(this IResourceBuilder<ProjectResource> service, string name, int port) =>
        service.WithEndpoint(name, endpoint =>
        {
            endpoint.UriScheme = "http";
            endpoint.Transport = "http2";
            endpoint.IsProxied = false;
            endpoint.Port = port;
        });

    /// <summary>
    /// The dashboard links to the API's web console with the key in the URL's fragment, which
    /// browsers never send to a server: the page keeps it, and the API itself never hands the key out.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithWebConsoleUrl(this IResourceBuilder<ProjectResource> api, IResourceBuilder<ParameterResource> apiKey) =>
        api.WithUrls(async context =>
        {
            if (context.GetEndpoint("http") is not { } endpoint)
            {
                return;
            }

            var key = await apiKey.Resource.GetValueAsync(context.CancellationToken);
            context.Urls.Add(new ResourceUrlAnnotation
            {
                Url = $"{endpoint.Url}/#key={Uri.EscapeDataString(key ?? "")}",
                DisplayText = "Web console",
                Endpoint = endpoint,
            });
        });

    /// <summary>
    /// Telemetry choices (Telemetry:Prometheus:Enabled, Telemetry:LogPayloads, …) and the trace
    /// sampler given to the AppHost apply to every service; one service alone takes them through
    /// its own environment.
    /// </summary>
    public static void ShareTelemetrySettings(this IDistributedApplicationBuilder builder, params IResourceBuilder<ProjectResource>[] services)
    {
        foreach (var service in services)
        {
            service.WithTelemetrySettings(builder.Configuration)
                .WithTraceSamplerSettings(builder.Configuration);
        }
    }
}
