namespace KafkaIngestion.Tests.AppHost;

/// <summary>
/// The app model in each Kafka mode, checked without starting anything: container mode cannot
/// run on machines without a container runtime, but what it would run can be inspected.
/// </summary>
public sealed class KafkaModelTests : IDisposable
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(1);

    // Forced container mode checks that a runtime answers and has the image: this double does.
    private readonly ScriptedContainerCli _runtime = ScriptedContainerCli.Create("podman", engineAnswers: true, hasImages: true);

    public void Dispose() => _runtime.Dispose();

    [Fact]
    public async Task ContainerModeRunsThePinnedApacheKafkaImageInKRaftMode()
    {
        var kafka = await KafkaResourceOfAppHostAsync<KafkaContainerResource>("Kafka:Mode=container", _runtime.RuntimeArgument);

        var image = Assert.Single(kafka.Annotations.OfType<ContainerImageAnnotation>());
        Assert.Equal("apache/kafka", image.Image);
        Assert.Equal(KafkaResourceBuilderExtensions.ImageTag, image.Tag);
        Assert.Matches(@"^\d+\.\d+\.\d+$", image.Tag); // pinned, never "latest"
        Assert.Equal("docker.io", image.Registry);

        var environment = await ContainerEnvironmentAsync(kafka);
        Assert.Equal("broker,controller", environment["KAFKA_PROCESS_ROLES"]);
        Assert.Equal("1@localhost:9094", environment["KAFKA_CONTROLLER_QUORUM_VOTERS"]);
        Assert.Equal("CONTROLLER", environment["KAFKA_CONTROLLER_LISTENER_NAMES"]);
        Assert.DoesNotContain(environment.Keys, key => key.Contains("ZOOKEEPER", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheKafkaImageCanComeFromAMirror()
    {
        var kafka = await KafkaResourceOfAppHostAsync<KafkaContainerResource>("Kafka:Mode=container", _runtime.RuntimeArgument,
            "Kafka:Container:Registry=mirror.example.com:5000", "Kafka:Container:Image=library/kafka", "Kafka:Container:Tag=4.1.0-custom");

        var image = Assert.Single(kafka.Annotations.OfType<ContainerImageAnnotation>());
        Assert.Equal(("mirror.example.com:5000", "library/kafka", "4.1.0-custom"), (image.Registry, image.Image, image.Tag));
    }

    [Fact]
    public async Task EachListenerAdvertisesTheAddressItsClientsReachItOn()
    {
        var kafka = await KafkaResourceOfAppHostAsync<KafkaContainerResource>("Kafka:Mode=container", _runtime.RuntimeArgument);

        var endpoints = kafka.Annotations.OfType<EndpointAnnotation>().ToDictionary(e => e.Name);
        Assert.Equal(9092, endpoints["tcp"].TargetPort);
        Assert.Equal(9093, endpoints["internal"].TargetPort);

        var environment = await ContainerEnvironmentAsync(kafka);
        Assert.Equal("PLAINTEXT://0.0.0.0:9092,PLAINTEXT_INTERNAL://0.0.0.0:9093,CONTROLLER://0.0.0.0:9094", environment["KAFKA_LISTENERS"]);
        // Resolved as the orchestrator resolves the container's own environment (on the container
        // network): the host listener still advertises the port allocated on the host, not 9092.
        Assert.Equal($"PLAINTEXT://localhost:{HostPort},PLAINTEXT_INTERNAL://kafka.dev.internal:9093,CONTROLLER://localhost:9094", environment["KAFKA_ADVERTISED_LISTENERS"]);
        Assert.Equal("PLAINTEXT_INTERNAL", environment["KAFKA_INTER_BROKER_LISTENER_NAME"]);
    }

    [Fact]
    public async Task ProjectsGetTheHostListenerAndContainersTheInternalOne()
    {
        using var cancellation = new CancellationTokenSource(BuildTimeout);
        using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.KafkaIngestion_AppHost>(["Kafka:Mode=container", _runtime.RuntimeArgument], cancellation.Token);
        var kafka = Assert.IsType<KafkaContainerResource>(Assert.Single(builder.Resources.OfType<IKafkaResource>()));
        var tool = builder.AddContainer("kafka-tool", "example/kafka-tool").WithReference(builder.CreateResourceBuilder(kafka));
        AllocateEndpoints(kafka);

        var api = await EnvironmentAsync(builder.Resources.Single(r => r.Name == "api"));
        var container = await EnvironmentAsync(tool.Resource);

        Assert.Equal($"localhost:{HostPort}", api["ConnectionStrings__kafka"]);
        Assert.Equal("kafka.dev.internal:9093", container["ConnectionStrings__kafka"]);
    }

    [Fact]
    public async Task PublishedKafkaNeverAdvertisesLocalhost()
    {
        var kafka = await KafkaResourceOfAppHostAsync<KafkaContainerResource>("Kafka:Mode=container", _runtime.RuntimeArgument);

        var environment = await ContainerEnvironmentAsync(kafka, DistributedApplicationOperation.Publish);

        Assert.DoesNotContain("localhost", environment["KAFKA_ADVERTISED_LISTENERS"], StringComparison.Ordinal);
        Assert.Contains("PLAINTEXT://{kafka.bindings.tcp.host}:{kafka.bindings.tcp.port}", environment["KAFKA_ADVERTISED_LISTENERS"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ContainerModeKeepsItsDataInAVolumeOfThisAppHostWithAPinnedClusterId()
    {
        using var cancellation = new CancellationTokenSource(BuildTimeout);
        using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.KafkaIngestion_AppHost>(["Kafka:Mode=container", _runtime.RuntimeArgument], cancellation.Token);
        var kafka = Assert.IsType<KafkaContainerResource>(Assert.Single(builder.Resources.OfType<IKafkaResource>()));

        var mount = Assert.Single(kafka.Annotations.OfType<ContainerMountAnnotation>());
        Assert.Equal(ContainerMountType.Volume, mount.Type);
        Assert.Equal("/var/lib/kafka/data", mount.Target);
        // Aspire's volume names carry a hash of the AppHost's path: two clones never share one.
        Assert.Equal(VolumeNameGenerator.Generate(builder.CreateResourceBuilder(kafka), "data"), mount.Source);
        var environment = await ContainerEnvironmentAsync(kafka);
        Assert.Equal("/var/lib/kafka/data", environment["KAFKA_LOG_DIRS"]);
        Assert.Equal(KafkaResourceBuilderExtensions.ClusterIdFor(mount.Source!), environment["CLUSTER_ID"]);
        Assert.Matches("^[A-Za-z0-9_-]{22}$", environment["CLUSTER_ID"]);
        Assert.Single(kafka.Annotations.OfType<HealthCheckAnnotation>());
    }

    [Theory]
    [InlineData("Kafka:Mode=container")]
    [InlineData("Kafka:Mode=embedded")]
    [InlineData("ConnectionStrings:kafka=broker-1:9092")]
    public async Task EveryModeDeclaresTheTopicsAndEveryServiceWaitsForKafka(string modeArgument)
    {
        using var cancellation = new CancellationTokenSource(BuildTimeout);
        using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.KafkaIngestion_AppHost>([modeArgument, _runtime.RuntimeArgument], cancellation.Token);

        var kafka = Assert.Single(builder.Resources.OfType<IKafkaResource>());
        Assert.Equal("kafka", kafka.Name);
        Assert.Contains(new KafkaTopicAnnotation("events", 6), kafka.Annotations);
        Assert.Contains(new KafkaTopicAnnotation("events.dlq", 1), kafka.Annotations);
        foreach (var service in new[] { "api", "consumer" })
        {
            var resource = builder.Resources.Single(r => r.Name == service);
            Assert.Contains(resource.Annotations.OfType<WaitAnnotation>(), wait => wait.Resource == kafka);
        }
    }

    [Fact]
    public async Task ThePartitionCountOfTheEventsTopicIsConfigurable()
    {
        var kafka = await KafkaResourceOfAppHostAsync<EmbeddedKafkaResource>("Kafka:Mode=embedded", "Kafka:Partitions=12");

        Assert.Contains(new KafkaTopicAnnotation("events", 12), kafka.Annotations);
    }

    [Fact]
    public async Task TheConsumerCanRunAsSeveralReplicasOfOneGroup()
    {
        using var cancellation = new CancellationTokenSource(BuildTimeout);
        using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.KafkaIngestion_AppHost>(
            ["Kafka:Mode=embedded", "Consumer:Replicas=3"], cancellation.Token);

        var consumer = builder.Resources.Single(r => r.Name == "consumer");

        Assert.Equal(3, Assert.Single(consumer.Annotations.OfType<ReplicaAnnotation>()).Replicas);
    }

    [Theory]
    [InlineData(null, "postgres")]
    [InlineData("ConnectionStrings:events-db=Host=db.example.com;Database=events", "events-db")]
    public async Task WithThePostgresStoreTheConsumerWaitsForItsDatabase(string? connectionString, string waitsFor)
    {
        using var cancellation = new CancellationTokenSource(BuildTimeout);
        string[] args = connectionString is null
            ? ["Kafka:Mode=embedded", "Consumer:Store=postgres", _runtime.RuntimeArgument]
            : ["Kafka:Mode=embedded", "Consumer:Store=postgres", connectionString];
        using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.KafkaIngestion_AppHost>(args, cancellation.Token);

        var consumer = builder.Resources.Single(r => r.Name == "consumer");

        Assert.Contains(consumer.Annotations.OfType<WaitAnnotation>(), wait => wait.Resource.Name == waitsFor
            || (wait.Resource is IResourceWithParent child && child.Parent.Name == waitsFor));
        Assert.Contains(builder.Resources, r => r.Name == "events-db");
    }

    [Fact]
    public async Task AConnectionStringSelectsAnExternalClusterAndCarriesItsSecuritySettings()
    {
        var kafka = await KafkaResourceOfAppHostAsync<ExternalKafkaResource>(
            "ConnectionStrings:kafka=broker-1:9093,broker-2:9093",
            "Kafka:External:Properties:security.protocol=SASL_SSL",
            "Kafka:External:Properties:sasl.mechanism=SCRAM-SHA-512",
            "Kafka:External:Properties:sasl.username=ingest",
            "Kafka:External:Properties:sasl.password=s3cr;t");

        var connectionString = await kafka.ConnectionStringExpression.GetValueAsync(default);

        var properties = KafkaIngestion.ServiceDefaults.Kafka.KafkaConnectionString.Parse(connectionString!);
        Assert.Equal("broker-1:9093,broker-2:9093", properties["bootstrap.servers"]);
        Assert.Equal("SASL_SSL", properties["security.protocol"]);
        Assert.Equal("SCRAM-SHA-512", properties["sasl.mechanism"]);
        Assert.Equal("s3cr;t", properties["sasl.password"]);
    }

    [Fact]
    public async Task ForcedModeWinsOverAConnectionString()
    {
        await KafkaResourceOfAppHostAsync<EmbeddedKafkaResource>("Kafka:Mode=embedded", "ConnectionStrings:kafka=broker-1:9092");
    }

    [Fact]
    public async Task AnUnknownModeIsRefusedWithTheChoices()
    {
        using var cancellation = new CancellationTokenSource(BuildTimeout);

        var error = await Assert.ThrowsAnyAsync<Exception>(() =>
            DistributedApplicationTestingBuilder.CreateAsync<Projects.KafkaIngestion_AppHost>(["Kafka:Mode=zookeeper"], cancellation.Token));

        Assert.Contains("auto, container, embedded or external", error.ToString(), StringComparison.Ordinal);
    }

    private static async Task<T> KafkaResourceOfAppHostAsync<T>(params string[] args) where T : IKafkaResource
    {
        using var cancellation = new CancellationTokenSource(BuildTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.KafkaIngestion_AppHost>(args, cancellation.Token);
        var kafka = Assert.IsType<T>(Assert.Single(builder.Resources.OfType<IKafkaResource>()));
        builder.Dispose();
        return kafka;
    }

    private const int HostPort = 45773;

    /// <summary>
    /// Allocates the broker's endpoints as the orchestrator does, on both networks: on the host a
    /// random port (the published one, not 9092), on the container network the alias the
    /// orchestrator gives the container (<c>kafka.dev.internal</c>) and the listener's own port.
    /// </summary>
    private static void AllocateEndpoints(KafkaContainerResource kafka)
    {
        foreach (var endpoint in kafka.Annotations.OfType<EndpointAnnotation>())
        {
            var onHost = endpoint.Name == "tcp" ? HostPort : HostPort + 1;
            endpoint.AllAllocatedEndpoints.AddOrUpdateAllocatedEndpoint(KnownNetworkIdentifiers.LocalhostNetwork,
                new AllocatedEndpoint(endpoint, "localhost", onHost, EndpointBindingMode.SingleAddress, targetPortExpression: null, KnownNetworkIdentifiers.LocalhostNetwork));
            endpoint.AllAllocatedEndpoints.AddOrUpdateAllocatedEndpoint(KnownNetworkIdentifiers.DefaultAspireContainerNetwork,
                new AllocatedEndpoint(endpoint, $"{kafka.Name}.dev.internal", endpoint.TargetPort!.Value, EndpointBindingMode.SingleAddress, targetPortExpression: null, KnownNetworkIdentifiers.DefaultAspireContainerNetwork));
        }
    }

    private static async Task<Dictionary<string, string>> ContainerEnvironmentAsync(KafkaContainerResource kafka, DistributedApplicationOperation operation = DistributedApplicationOperation.Run)
    {
        AllocateEndpoints(kafka);
        return await EnvironmentAsync(kafka, operation);
    }

    /// <summary>A resource's environment resolved the way the orchestrator resolves it before starting the resource.</summary>
    private static async Task<Dictionary<string, string>> EnvironmentAsync(IResource resource, DistributedApplicationOperation operation = DistributedApplicationOperation.Run)
    {
        using var cancellation = new CancellationTokenSource(BuildTimeout);
        var configuration = await ExecutionConfigurationBuilder.Create(resource)
            .WithEnvironmentVariablesConfig()
            .BuildAsync(new DistributedApplicationExecutionContext(operation), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, cancellation.Token);
        return configuration.EnvironmentVariables.ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal);
    }
}
