using KafkaIngestion.AppHost.Kafka;
using KafkaIngestion.Tests.EndToEnd;

namespace KafkaIngestion.Tests.AppHost;

/// <summary>
/// Auto mode against the real runtimes on this machine: Podman with and without the image, and
/// Docker's CLI with no daemon behind it (as our build machines have it). Only the choice is made;
/// nothing is started.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class ContainerRuntimeSelectionTests
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(1);

    [ContainerFact]
    public async Task PodmanWithTheImageRunsKafkaInAContainer()
    {
        var choice = await ChoiceAsync(["ASPIRE_CONTAINER_RUNTIME=podman", .. ContainerModeAppHostFixture.LocalImages]);

        Assert.Equal(KafkaMode.Container, choice.Mode);
        Assert.Equal("podman's engine answered and image localhost/kafkaingestion-test/kafka-standin:test is present locally", choice.Reason);
    }

    [ContainerFact]
    public async Task PodmanWithoutTheImageAndNoRegistryRunsTheEmbeddedBroker()
    {
        var started = TimeProvider.System.GetTimestamp();

        var choice = await ChoiceAsync(["ASPIRE_CONTAINER_RUNTIME=podman", "Kafka:Container:Registry=127.0.0.1:9", "Kafka:Container:Image=kafkaingestion-test/absent"]);

        Assert.Equal(KafkaMode.Embedded, choice.Mode);
        Assert.Contains("podman's engine answered, but image 127.0.0.1:9/kafkaingestion-test/absent:4.1.0 is not present locally and registry 127.0.0.1:9 did not answer", choice.Reason, StringComparison.Ordinal);
        Assert.InRange(TimeProvider.System.GetElapsedTime(started), TimeSpan.Zero, TimeSpan.FromSeconds(20));
    }

    [ContainerFact]
    public async Task ADockerCliWhoseDaemonDoesNotAnswerRunsTheEmbeddedBroker()
    {
        var choice = await ChoiceAsync(["ASPIRE_CONTAINER_RUNTIME=docker"]);

        Assert.Equal(KafkaMode.Embedded, choice.Mode);
        // Our machines have the CLI; one without it must still fall back, for that reason.
        Assert.Contains(OnPath("docker") ? "docker: the CLI is installed but its engine did not answer" : "docker: not installed", choice.Reason, StringComparison.Ordinal);
    }

    private static bool OnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(directory => File.Exists(Path.Combine(directory, command)));

    private static async Task<KafkaModeAnnotation> ChoiceAsync(string[] args)
    {
        using var cancellation = new CancellationTokenSource(BuildTimeout);
        using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.KafkaIngestion_AppHost>(args, cancellation.Token);
        return Assert.Single(Assert.Single(builder.Resources.OfType<IKafkaResource>()).Annotations.OfType<KafkaModeAnnotation>());
    }
}
