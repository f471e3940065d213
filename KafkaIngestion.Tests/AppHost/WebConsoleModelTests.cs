namespace KafkaIngestion.Tests.AppHost;

/// <summary>How the app model wires the API's web console, checked without starting anything.</summary>
public sealed class WebConsoleModelTests
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(1);

    [Theory]
    [InlineData("Kafka:Mode=embedded", "embedded")]
    [InlineData("Kafka:Mode=container", "container")]
    [InlineData("ConnectionStrings:kafka=broker-1:9092", "external")]
    public async Task TheApiIsToldTheBrokerModeAndFindsTheConsumerWithoutWaitingForIt(string modeArgument, string mode)
    {
        using var cancellation = new CancellationTokenSource(BuildTimeout);
        // Forced container mode asks a runtime for the image: a scripted one that has it.
        using var runtime = ScriptedContainerCli.Create("podman", engineAnswers: true, hasImages: true);
        using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.KafkaIngestion_AppHost>([modeArgument, runtime.RuntimeArgument], cancellation.Token);
        var api = builder.Resources.Single(r => r.Name == "api");

        var environment = new Dictionary<string, object>(StringComparer.Ordinal);
        var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), api, environment);
        foreach (var callback in api.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        Assert.Equal(mode, environment["Console__BrokerMode"]);
        // Service discovery's address of the consumer, which the console polls.
        Assert.Contains("services__consumer__http__0", environment.Keys);
        // Ingestion does not need the consumer: the API must start (and stay up) without it.
        Assert.DoesNotContain(api.Annotations.OfType<WaitAnnotation>(), wait => wait.Resource.Name == "consumer");
    }
}
