using System.Security.Cryptography;
using System.Text;
using KafkaIngestion.AppHost.Containers;
using KafkaIngestion.AppHost.Kafka;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aspire.Hosting;

/// <summary>
/// <c>builder.AddKafka("kafka")</c>: a Kafka cluster as one resource, provided by a container,
/// by an in-process broker, or by an existing cluster (see <see cref="KafkaMode"/>). Services
/// reference it the same way in every mode and receive only a <c>kafka</c> connection string.
/// </summary>
public static class KafkaResourceBuilderExtensions
{
    /// <summary>The Apache Kafka image; pinned so that every developer runs the same broker.</summary>
    public const string Image = "apache/kafka";
    public const string ImageTag = "4.1.0";
    public const string Registry = "docker.io";

    /// <summary>Where <c>Registry</c>, <c>Image</c> and <c>Tag</c> may name another image (a mirror, a private registry).</summary>
    public const string ImageSection = "Kafka:Container";

    /// <summary>The default loopback port of the embedded broker's fixed address.</summary>
    public const int DefaultEmbeddedPort = 9092;

    private const int HostListenerPort = 9092;
    private const int InternalListenerPort = 9093;
    private const string Listeners = "PLAINTEXT://0.0.0.0:9092,PLAINTEXT_INTERNAL://0.0.0.0:9093,CONTROLLER://0.0.0.0:9094";
    private const string ControllerListenerPort = "9094";
    private const string ControllerQuorum = "1@localhost:9094";
    private const string DataPath = "/var/lib/kafka/data";

    /// <summary>Adds Kafka in the mode <c>Kafka:Mode</c> names (default <c>auto</c>; see <see cref="KafkaModeSelector"/>).</summary>
    // Our own, not Aspire.Hosting.Kafka: that package is not available to this project, and Kafka here comes in three modes (container, embedded, external).
    public static IResourceBuilder<IKafkaResource> AddKafka(this IDistributedApplicationBuilder builder, [ResourceName] string name)
    {
        ArgumentNullException.ThrowIfNull(builder);

        var image = ContainerImage.FromConfiguration(builder.Configuration, ImageSection, new(Registry, Image, ImageTag));
        var choice = KafkaModeSelector.Select(builder, name, image);
        IResourceBuilder<IKafkaResource> kafka = choice.Mode switch
        {
            KafkaMode.Container => builder.AddKafkaContainer(name, image).WithDataVolume(),
            KafkaMode.Embedded => builder.AddEmbeddedKafka(name,
                builder.Configuration.GetValue("Kafka:Embedded:Port", DefaultEmbeddedPort)),
            KafkaMode.External => builder.AddExternalKafka(name),
            var other => throw new InvalidOperationException($"Unknown Kafka mode {other}."),
        };

        // Said twice: in the AppHost's console and in the kafka resource's log in the dashboard.
        var mode = choice.Mode.ToString().ToLowerInvariant();
        return kafka.WithAnnotation(choice).OnInitializeResource((resource, e, _) =>
        {
            var appHostLogger = e.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(KafkaModeSelector));
            KafkaModeLog.ModeChosen(e.Logger, mode, choice.Reason);
            KafkaModeLog.ModeChosen(appHostLogger, mode, choice.Reason);
            return Task.CompletedTask;
        });
    }

    /// <summary>Declares a topic the app needs. The resource turns healthy only once it exists.</summary>
    public static IResourceBuilder<T> WithTopic<T>(this IResourceBuilder<T> builder, string name, int partitions)
        where T : IKafkaResource
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        return builder.WithAnnotation(new KafkaTopicAnnotation(name, partitions));
    }

    // Our own, not Aspire.Hosting.Kafka: that package is not available to this project, and Kafka here comes in three modes (container, embedded, external).
    public static IResourceBuilder<KafkaContainerResource> AddKafkaContainer(this IDistributedApplicationBuilder builder, [ResourceName] string name, ContainerImage? image = null, int? port = null)
    {
        image ??= new(Registry, Image, ImageTag);
        var kafka = new KafkaContainerResource(name);
        return builder.AddResource(kafka)
            .WithImage(image.Image, image.Tag)
            .WithImageRegistry(image.Registry)
            .WithEndpoint(port: port, targetPort: HostListenerPort, name: KafkaContainerResource.PrimaryEndpointName)
            .WithEndpoint(targetPort: InternalListenerPort, name: KafkaContainerResource.InternalEndpointName)
            // Single-node KRaft: this node is both broker and its own controller quorum.
            .WithEnvironment("KAFKA_NODE_ID", "1")
            .WithEnvironment("KAFKA_PROCESS_ROLES", "broker,controller")
            .WithEnvironment("KAFKA_CONTROLLER_QUORUM_VOTERS", ControllerQuorum)
            .WithEnvironment("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
            .WithEnvironment("KAFKA_LISTENERS", Listeners)
            .WithEnvironment("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "PLAINTEXT:PLAINTEXT,PLAINTEXT_INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT")
            .WithEnvironment("KAFKA_INTER_BROKER_LISTENER_NAME", "PLAINTEXT_INTERNAL")
            .WithEnvironment(context => context.EnvironmentVariables["KAFKA_ADVERTISED_LISTENERS"] = AdvertisedListeners(kafka, context.ExecutionContext))
            .WithEnvironment("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
            .WithEnvironment("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
            .WithEnvironment("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
            .WithEnvironment("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
            .WithEnvironment("KAFKA_LOG_DIRS", DataPath)
            .WithKafkaHealthCheck(builder);
    }

    /// <summary>
    /// What the broker tells clients to connect to, per listener: a client bootstrapped on the host
    /// listener is sent to the host port the orchestrator actually allocated (never the container's
    /// 9092), one on the internal listener to <c>kafka.dev.internal:9093</c>. Published, the addresses are the
    /// deployment's bindings, never localhost.
    /// </summary>
    private static ReferenceExpression AdvertisedListeners(KafkaContainerResource kafka, DistributedApplicationExecutionContext executionContext)
    {
        var host = kafka.PrimaryEndpoint.Property(EndpointProperty.HostAndPort);
        var @internal = kafka.InternalEndpoint.Property(EndpointProperty.HostAndPort);
        // The controller listener is the node's own: reached inside the container when run locally.
        var controllerHost = executionContext.IsRunMode
            ? ReferenceExpression.Create($"localhost")
            : ReferenceExpression.Create($"{kafka.InternalEndpoint.Property(EndpointProperty.Host)}");
        return ReferenceExpression.Create($"PLAINTEXT://{host},PLAINTEXT_INTERNAL://{@internal},CONTROLLER://{controllerHost}:{ControllerListenerPort}");
    }

    /// <summary>
    /// Keeps the broker's log directory in a named volume, unique to this AppHost (two clones never
    /// share one), so events survive a restart; the cluster id is pinned to the volume because
    /// Kafka refuses a log directory formatted for another cluster.
    /// </summary>
    public static IResourceBuilder<KafkaContainerResource> WithDataVolume(this IResourceBuilder<KafkaContainerResource> builder, string? name = null)
    {
        var volume = name ?? VolumeNameGenerator.Generate(builder, "data");
        return builder
            .WithEnvironment("CLUSTER_ID", ClusterIdFor(volume))
            .WithVolume(volume, DataPath);
    }

    /// <summary>A KRaft cluster id (16 bytes, base64url) derived from the data volume's name: stable across restarts.</summary>
    internal static string ClusterIdFor(string volume) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(volume)).AsSpan(0, 16))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    // Our own, not Aspire.Hosting.Kafka: that package is not available to this project, and Kafka here comes in three modes (container, embedded, external).
    public static IResourceBuilder<EmbeddedKafkaResource> AddEmbeddedKafka(this IDistributedApplicationBuilder builder, [ResourceName] string name, int fixedPort = DefaultEmbeddedPort)
    {
        var kafka = new EmbeddedKafkaResource(name, fixedPort);
        return builder.AddResource(kafka)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "Kafka (embedded, in-memory)",
                State = KnownResourceStates.NotStarted,
                Properties =
                [
                    new("kafka.mode", "embedded: librdkafka mock cluster in the AppHost process"),
                    new("kafka.durability", "in memory only; each partition keeps its newest 5 MiB"),
                ],
            })
            .ExcludeFromManifest()
            .WithKafkaHealthCheck(builder)
            .OnInitializeResource(EmbeddedKafkaLifecycle.StartAsync)
            .WithCommand("broker-down", "Take broker down", EmbeddedKafkaLifecycle.TakeDownAsync,
                new CommandOptions
                {
                    Description = "Simulate a broker outage: clients lose their connections until it is brought back up.",
                    IconName = "PlugDisconnected",
                    UpdateState = context => EmbeddedKafkaLifecycle.CommandState(kafka, wantUp: true, context),
                })
            .WithCommand("broker-up", "Bring broker up", EmbeddedKafkaLifecycle.BringUpAsync,
                new CommandOptions
                {
                    Description = "End a simulated outage.",
                    IconName = "PlugConnected",
                    UpdateState = context => EmbeddedKafkaLifecycle.CommandState(kafka, wantUp: false, context),
                })
            .WithCommand("fail-produce-requests", "Fail produce requests", EmbeddedKafkaLifecycle.FailProduceRequestsAsync,
                new CommandOptions
                {
                    Description = "Answer every produce request with transient errors (leader moved, timed out, not enough replicas) for a while, then reset the connections as a failover would: idempotent producers retry without losing or duplicating a record.",
                    IconName = "ErrorCircle",
                    Arguments =
                    [
                        new() { Name = "seconds", Label = "Seconds of produce errors", InputType = InputType.Number, Value = "5", Required = true },
                    ],
                    UpdateState = context => EmbeddedKafkaLifecycle.CommandState(kafka, wantUp: true, context),
                });
    }

    // Our own, not Aspire.Hosting.Kafka: that package is not available to this project, and Kafka here comes in three modes (container, embedded, external).
    public static IResourceBuilder<ExternalKafkaResource> AddExternalKafka(this IDistributedApplicationBuilder builder, [ResourceName] string name)
    {
        var connectionString = builder.AddConnectionString(name).Resource as ParameterResource
            ?? throw new InvalidOperationException($"ConnectionStrings:{name} could not be read as a parameter.");
        builder.Resources.Remove(connectionString);

        var properties = builder.Configuration.GetSection("Kafka:External:Properties")
            .GetChildren()
            .Where(p => p.Value is not null)
            .ToDictionary(p => p.Key, p => p.Value!, StringComparer.Ordinal);

        var kafka = new ExternalKafkaResource(name, connectionString, properties);
        return builder.AddResource(kafka)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "Kafka (external)",
                State = KnownResourceStates.NotStarted,
                Properties = [new("kafka.mode", "external: ConnectionStrings:" + name)],
            })
            .WithKafkaHealthCheck(builder)
            .OnInitializeResource(async (resource, e, cancellationToken) =>
                await e.Notifications.PublishUpdateAsync(resource, s => s with
                {
                    State = KnownResourceStates.Running,
                    StartTimeStamp = DateTime.UtcNow,
                }));
    }

    private static IResourceBuilder<T> WithKafkaHealthCheck<T>(this IResourceBuilder<T> builder, IDistributedApplicationBuilder applicationBuilder)
        where T : IKafkaResource
    {
        var key = $"{builder.Resource.Name}_cluster_check";
        var check = new KafkaClusterHealthCheck(builder.Resource);
        applicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(key, _ => check, failureStatus: null, tags: null));
        return builder.WithHealthCheck(key);
    }
}
