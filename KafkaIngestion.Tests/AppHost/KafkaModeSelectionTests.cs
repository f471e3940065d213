using KafkaIngestion.AppHost.Containers;
using KafkaIngestion.AppHost.Kafka;

namespace KafkaIngestion.Tests.AppHost;

/// <summary>
/// How the AppHost chooses the Kafka mode (and whether it can run PostgreSQL) from what the
/// container runtime answers, with a scripted runtime CLI; nothing is started.
/// </summary>
public sealed class KafkaModeSelectionTests
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task AutoModeWithoutAnyRuntimeRunsTheEmbeddedBrokerAndSaysWhy()
    {
        var choice = await ChoiceAsync("ASPIRE_CONTAINER_RUNTIME=/nonexistent/podman");

        Assert.Equal(KafkaMode.Embedded, choice.Mode);
        Assert.Contains("/nonexistent/podman: not installed", choice.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AutoModeWithARuntimeWhoseEngineDoesNotAnswerRunsTheEmbeddedBroker()
    {
        using var runtime = ScriptedContainerCli.Create("docker", engineAnswers: false, hasImages: true);

        var choice = await ChoiceAsync(runtime.RuntimeArgument);

        Assert.Equal(KafkaMode.Embedded, choice.Mode);
        Assert.Contains("engine did not answer (Cannot connect to the engine: connection refused)", choice.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AutoModeWithARuntimeThatHasTheImageRunsTheContainer()
    {
        using var runtime = ScriptedContainerCli.Create("podman", engineAnswers: true, hasImages: true);

        var choice = await ChoiceAsync(runtime.RuntimeArgument);

        Assert.Equal(KafkaMode.Container, choice.Mode);
        Assert.Contains("image docker.io/apache/kafka:4.1.0 is present locally", choice.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AutoModeWithARuntimeThatCannotGetTheImageRunsTheEmbeddedBrokerQuickly()
    {
        using var runtime = ScriptedContainerCli.Create("podman", engineAnswers: true, hasImages: false);

        // A registry that refuses connections at once stands for one that cannot be reached.
        var choice = await ChoiceAsync(runtime.RuntimeArgument, "Kafka:Container:Registry=127.0.0.1:9");

        Assert.Equal(KafkaMode.Embedded, choice.Mode);
        Assert.Contains("is not present locally and registry 127.0.0.1:9 did not answer", choice.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForcedContainerModeThatCannotGetTheImageFailsWithTheReason()
    {
        using var runtime = ScriptedContainerCli.Create("podman", engineAnswers: true, hasImages: false);
        using var cancellation = new CancellationTokenSource(BuildTimeout);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => DistributedApplicationTestingBuilder.CreateAsync<Projects.KafkaIngestion_AppHost>(
            ["Kafka:Mode=container", runtime.RuntimeArgument, "Kafka:Container:Registry=localhost"], cancellation.Token));

        Assert.Contains("Kafka:Mode=container, but", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("'localhost' names local images only", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThePostgresStoreWithoutAConnectionStringOrARuntimeFailsNamingBothWaysOut()
    {
        using var cancellation = new CancellationTokenSource(BuildTimeout);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => DistributedApplicationTestingBuilder.CreateAsync<Projects.KafkaIngestion_AppHost>(
            ["Kafka:Mode=embedded", "Consumer:Store=postgres", "ASPIRE_CONTAINER_RUNTIME=/nonexistent/docker"], cancellation.Token));

        Assert.Contains("ConnectionStrings:events-db", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("start Docker or Podman", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThePostgresImageCanComeFromAMirror()
    {
        using var runtime = ScriptedContainerCli.Create("podman", engineAnswers: true, hasImages: true);
        using var cancellation = new CancellationTokenSource(BuildTimeout);
        using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.KafkaIngestion_AppHost>(
            ["Kafka:Mode=embedded", "Consumer:Store=postgres", runtime.RuntimeArgument,
             "Consumer:Postgres:Container:Registry=localhost", "Consumer:Postgres:Container:Image=kafkaingestion-test/postgres", "Consumer:Postgres:Container:Tag=15"],
            cancellation.Token);

        var postgres = builder.Resources.Single(r => r.Name == "postgres");
        var image = Assert.Single(postgres.Annotations.OfType<ContainerImageAnnotation>());
        Assert.Equal(("localhost", "kafkaingestion-test/postgres", "15"), (image.Registry, image.Image, image.Tag));
        // PostgreSQL up to 17 keeps its data here; the volume must follow the configured tag.
        Assert.Equal("/var/lib/postgresql/data", Assert.Single(postgres.Annotations.OfType<ContainerMountAnnotation>()).Target);
    }

    [Theory]
    [InlineData(null, new[] { "docker", "podman" })]
    [InlineData("podman", new[] { "podman" })]
    public void TheConfiguredRuntimeIsTheOnlyOneAsked(string? configured, string[] asked) =>
        Assert.Equal(asked, ContainerRuntimeRules.Candidates(configured));

    [Theory]
    [InlineData(0, "28.2.2", true)]
    [InlineData(0, "", false)]            // some Docker versions: exit 0, daemon down
    [InlineData(0, "<no value>", false)]
    [InlineData(1, "", false)]
    public void AnEngineAnswersOnlyWithAVersion(int exitCode, string output, bool answered) =>
        Assert.Equal(answered, ContainerRuntimeRules.JudgeEngine("docker", new CommandResult(exitCode, output, "")) is null);

    [Theory]
    [InlineData("docker.io", "https://registry-1.docker.io/v2/")]
    [InlineData("mirror.example.com:5000", "https://mirror.example.com:5000/v2/")]
    [InlineData("localhost", null)]
    public void TheRegistryIsAskedAtItsApiBase(string registry, string? probe) =>
        Assert.Equal(probe, ContainerRuntimeRules.RegistryProbeUri(registry)?.ToString());

    private static async Task<KafkaModeAnnotation> ChoiceAsync(params string[] args)
    {
        using var cancellation = new CancellationTokenSource(BuildTimeout);
        using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.KafkaIngestion_AppHost>(args, cancellation.Token);
        var kafka = Assert.Single(builder.Resources.OfType<IKafkaResource>());
        return Assert.Single(kafka.Annotations.OfType<KafkaModeAnnotation>());
    }
}
