using System.Diagnostics;

namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>
/// A real AppHost in container mode on Podman: Kafka and PostgreSQL in containers started by the
/// orchestrator, the api and consumer on the host. No registry is reachable where we build, so the
/// images are local: PostgreSQL built from Debian's packages (a real server), and for Kafka the
/// contract stand-in (a test double: the apache/kafka image's listener variables in front of
/// librdkafka's mock cluster, advertising exactly what it is told). Without Podman and the images
/// it starts nothing: its tests are skipped (<see cref="ContainerFactAttribute"/>).
/// </summary>
public class ContainerModeAppHostFixture : AppHostFixture
{
    private readonly bool _removeVolume;

    /// <summary>The test images .ci/images.sh builds, as the AppHost's image settings.</summary>
    public static readonly string[] LocalImages =
    [
        "Kafka:Container:Registry=localhost",
        "Kafka:Container:Image=kafkaingestion-test/kafka-standin",
        "Kafka:Container:Tag=test",
        "Consumer:Postgres:Container:Registry=localhost",
        "Consumer:Postgres:Container:Image=kafkaingestion-test/postgres",
        "Consumer:Postgres:Container:Tag=15",
    ];

    public ContainerModeAppHostFixture()
        : this($"kafkaingestion-test-pg-{Guid.NewGuid():N}", removeVolume: true)
    {
    }

    /// <summary>An AppHost on a given volume, kept afterwards when a later AppHost is to find its data.</summary>
    internal ContainerModeAppHostFixture(string postgresVolume, bool removeVolume)
    {
        PostgresVolume = postgresVolume;
        _removeVolume = removeVolume;
    }

    /// <summary>The PostgreSQL data volume, the fixture's own (never the one a `dotnet run` of this clone uses).</summary>
    public string PostgresVolume { get; }

    protected override bool Needed => ContainerFactAttribute.Missing is null;

    protected override IEnumerable<string> MoreSettings =>
    [
        "Kafka:Mode=container",
        $"{KafkaIngestion.AppHost.Containers.ContainerRuntimeProbe.RuntimeKey}=podman",
        "Consumer:Store=postgres",
        // Fixed, so that a second AppHost on the same volume can log in to the cluster the first made.
        "Parameters:postgres-password=kafkaingestion-test-Pg-1",
        .. LocalImages,
    ];

    /// <summary>The broker's data volume, the fixture's own too, always removed afterwards.</summary>
    public string KafkaVolume { get; } = $"kafkaingestion-test-kafka-{Guid.NewGuid():N}";

    protected override void ConfigureModel(IDistributedApplicationTestingBuilder builder)
    {
        UseVolume(builder.Resources.Single(r => r.Name == "postgres"), PostgresVolume);
        UseVolume(builder.Resources.Single(r => r.Name == "kafka"), KafkaVolume);
    }

    private static void UseVolume(IResource container, string volume)
    {
        var mount = container.Annotations.OfType<ContainerMountAnnotation>().Single();
        container.Annotations.Remove(mount);
        container.Annotations.Add(new ContainerMountAnnotation(volume, mount.Target, ContainerMountType.Volume, isReadOnly: false));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Needed)
        {
            await RemoveVolumeAsync(KafkaVolume);
            if (_removeVolume)
            {
                await RemoveVolumeAsync(PostgresVolume);
            }
        }
    }

    public static async Task RemoveVolumeAsync(string volume)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        using var podman = Process.Start(new ProcessStartInfo("podman", ["volume", "rm", "--force", volume]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        await podman.WaitForExitAsync(timeout.Token);
    }
}

/// <summary>
/// Run on their own, after the parallel collections: containers, two AppHosts and PostgreSQL
/// are heavy on two cores, and the fault-injection suites' recovery deadlines should not share
/// the machine with them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ContainerModeAppHost : ICollectionFixture<ContainerModeAppHostFixture>
{
    public const string Name = "AppHost in container mode on Podman";
}

/// <summary>The container-mode tests that start AppHosts of their own, on their own for the same reason.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ContainerModeAppHosts
{
    public const string Name = "AppHosts in container mode on Podman";
}
