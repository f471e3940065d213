namespace KafkaIngestion.Tests.AppHost;

/// <summary>
/// The app model in each Kafka mode, checked without starting anything: container mode cannot
/// run on machines without a container runtime, but what it would run can be inspected.
/// </summary>
public sealed class KafkaModelTests
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task ContainerModeRunsThePinnedApacheKafkaImageInKRaftMode()
    {
        var kafka = await KafkaResourceOfAppHostAsync<KafkaContainerResource>("Kafka:Mode=container");

        var image = Assert.Single(kafka.Annotations.OfType<ContainerImageAnnotation>());
        Assert.Equal("apache/kafka", image.Image);
        Assert.Equal(KafkaResourceBuilderExtensions.ImageTag, image.Tag);
        Assert.Matches(@"^\d+\.\d+\.\d+$", image.Tag); // pinned, never "latest"
        Assert.Equal("docker.io", image.Registry);

        var environment = await EnvironmentOfAsync(kafka);
        Assert.Equal("broker,controller", environment["KAFKA_PROCESS_ROLES"]);
        Assert.Equal("1@localhost:9094", environment["KAFKA_CONTROLLER_QUORUM_VOTERS"]);
        Assert.Equal("CONTROLLER", environment["KAFKA_CONTROLLER_LISTENER_NAMES"]);
        Assert.DoesNotContain(environment.Keys, key => key.Contains("ZOOKEEPER", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ContainerModeHasAHostListenerAndAContainerNetworkListener()
    {
        var kafka = await KafkaResourceOfAppHostAsync<KafkaContainerResource>("Kafka:Mode=container");

        var endpoints = kafka.Annotations.OfType<EndpointAnnotation>().ToDictionary(e => e.Name);
        Assert.Equal(9092, endpoints["tcp"].TargetPort);
        Assert.Equal(9093, endpoints["internal"].TargetPort);

        var environment = await EnvironmentOfAsync(kafka);
        Assert.Equal("PLAINTEXT://0.0.0.0:9092,PLAINTEXT_INTERNAL://0.0.0.0:9093,CONTROLLER://0.0.0.0:9094", environment["KAFKA_LISTENERS"]);
        // Each listener advertises the address its clients use: the published port on the
        // host, the resource name on the container network.
        Assert.Equal("PLAINTEXT://localhost:29092,PLAINTEXT_INTERNAL://kafka:9093", environment["KAFKA_ADVERTISED_LISTENERS"]);
        Assert.Equal("PLAINTEXT_INTERNAL", environment["KAFKA_INTER_BROKER_LISTENER_NAME"]);
        Assert.Equal("localhost:29092", await kafka.ConnectionStringExpression.GetValueAsync(default));
    }

    [Fact]
    public async Task ContainerModeKeepsItsDataInAVolumeAndHasAHealthCheck()
    {
        var kafka = await KafkaResourceOfAppHostAsync<KafkaContainerResource>("Kafka:Mode=container");

        var mount = Assert.Single(kafka.Annotations.OfType<ContainerMountAnnotation>());
        Assert.Equal(ContainerMountType.Volume, mount.Type);
        Assert.Equal("/var/lib/kafka/data", mount.Target);
        Assert.EndsWith("kafka-data", mount.Source, StringComparison.Ordinal);
        Assert.Equal("/var/lib/kafka/data", (await EnvironmentOfAsync(kafka))["KAFKA_LOG_DIRS"]);
        Assert.Single(kafka.Annotations.OfType<HealthCheckAnnotation>());
    }

    [Theory]
    [InlineData("Kafka:Mode=container")]
    [InlineData("Kafka:Mode=embedded")]
    [InlineData("ConnectionStrings:kafka=broker-1:9092")]
    public async Task EveryModeDeclaresTheTopicsAndEveryServiceWaitsForKafka(string modeArgument)
    {
        using var cancellation = new CancellationTokenSource(BuildTimeout);
        using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.KafkaIngestion_AppHost>([modeArgument], cancellation.Token);

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
        string[] args = connectionString is null ? ["Kafka:Mode=embedded", "Consumer:Store=postgres"] : ["Kafka:Mode=embedded", "Consumer:Store=postgres", connectionString];
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

    /// <summary>The container's environment as it would be at run time, with the host port 29092.</summary>
    private static async Task<Dictionary<string, string>> EnvironmentOfAsync(KafkaContainerResource kafka)
    {
        foreach (var endpoint in kafka.Annotations.OfType<EndpointAnnotation>())
        {
            endpoint.AllocatedEndpoint = new AllocatedEndpoint(endpoint, "localhost", endpoint.Name == "tcp" ? 29092 : 29093);
        }

        // Run the resource's environment callbacks as the orchestrator would, then resolve values.
        var raw = new Dictionary<string, object>(StringComparer.Ordinal);
        var context = new EnvironmentCallbackContext(
            new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), kafka, raw);
        foreach (var callback in kafka.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        var resolved = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in raw)
        {
            resolved[name] = value switch
            {
                string text => text,
                IValueProvider provider => await provider.GetValueAsync(default) ?? "",
                _ => value.ToString() ?? "",
            };
        }

        return resolved;
    }
}
