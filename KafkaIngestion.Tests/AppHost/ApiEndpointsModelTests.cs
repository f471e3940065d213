namespace KafkaIngestion.Tests.AppHost;

/// <summary>The API's two endpoints in the app model, checked without starting anything.</summary>
public sealed class ApiEndpointsModelTests
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task TheApiHasAnHttp11EndpointAndACleartextHttp2EndpointEachOnAFixedPortOfItsOwn()
    {
        using var cancellation = new CancellationTokenSource(BuildTimeout);
        using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.KafkaIngestion_AppHost>(["Kafka:Mode=embedded"], cancellation.Token);
        var endpoints = builder.Resources.Single(r => r.Name == "api").Annotations.OfType<EndpointAnnotation>().ToDictionary(e => e.Name, StringComparer.Ordinal);

        Assert.Equal(("http", "http", 5080, false), (endpoints["http"].UriScheme, endpoints["http"].Transport, endpoints["http"].Port, endpoints["http"].IsProxied));
        Assert.Equal(("http", "http2", 5082, false), (endpoints["grpc"].UriScheme, endpoints["grpc"].Transport, endpoints["grpc"].Port, endpoints["grpc"].IsProxied));
    }

    [Fact]
    public async Task TheApiIsToldBothAddressesAndTheLoadGeneratorFindsTheHttp2One()
    {
        using var cancellation = new CancellationTokenSource(BuildTimeout);
        using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.KafkaIngestion_AppHost>(["Kafka:Mode=embedded"], cancellation.Token);

        var api = await EnvironmentOfAsync(builder.Resources.Single(r => r.Name == "api"));
        var loadgen = await EnvironmentOfAsync(builder.Resources.Single(r => r.Name == "loadgen"));

        // The API's Kestrel:Endpoints (appsettings.json) are overridden by name with the ports the AppHost chose.
        Assert.Contains("Kestrel__Endpoints__http__Url", api.Keys);
        Assert.Contains("Kestrel__Endpoints__grpc__Url", api.Keys);
        Assert.Contains("services__api__grpc__0", loadgen.Keys);
    }

    private static async Task<Dictionary<string, object>> EnvironmentOfAsync(IResource resource)
    {
        var environment = new Dictionary<string, object>(StringComparer.Ordinal);
        var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), resource, environment);
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        return environment;
    }
}
