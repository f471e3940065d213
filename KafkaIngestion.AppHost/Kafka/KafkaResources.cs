using KafkaIngestion.EmbeddedKafka;
using KafkaIngestion.ServiceDefaults.Kafka;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>Kafka in a container: the Apache Kafka image in KRaft mode (no ZooKeeper).</summary>
public sealed class KafkaContainerResource(string name) : ContainerResource(name), IKafkaResource
{
    internal const string PrimaryEndpointName = "tcp";
    internal const string InternalEndpointName = "internal";

    private EndpointReference? _primaryEndpoint;
    private EndpointReference? _internalEndpoint;

    /// <summary>
    /// The listener for processes on the host (our services, kcat), resolved on the host network
    /// whoever asks: the broker itself must advertise the port the host reaches it on, not its
    /// port inside the container.
    /// </summary>
    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, PrimaryEndpointName, KnownNetworkIdentifiers.LocalhostNetwork);

    /// <summary>The listener for other containers, resolved on the app's container network (<c>kafka.dev.internal:9093</c>).</summary>
    public EndpointReference InternalEndpoint => _internalEndpoint ??= new(this, InternalEndpointName, KnownNetworkIdentifiers.DefaultAspireContainerNetwork);

    public KafkaMode Mode => KafkaMode.Container;

    /// <summary>Host processes get the host listener, containers the internal one: each the address that reaches it.</summary>
    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{new CallerNetworkValue(
            PrimaryEndpoint.Property(EndpointProperty.HostAndPort),
            InternalEndpoint.Property(EndpointProperty.HostAndPort))}");
}

/// <summary>
/// Kafka inside the AppHost process (librdkafka's mock cluster). In memory only: events are
/// gone when the AppHost stops, and each partition keeps only its newest 5 MiB.
/// </summary>
public sealed class EmbeddedKafkaResource(string name, int fixedPort) : Resource(name), IKafkaResource
{
    private readonly TaskCompletionSource<string> _bootstrapServers = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The loopback port Kafka tools can always bootstrap from (default 9092).</summary>
    public int FixedPort { get; } = fixedPort;

    public KafkaMode Mode => KafkaMode.Embedded;

    /// <summary>The running broker, once the resource has started.</summary>
    internal EmbeddedKafkaBroker? Broker { get; private set; }

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{new DeferredValue($"{{{Name}.bootstrapServers}}", async ct => await _bootstrapServers.Task.WaitAsync(ct))}");

    internal void Started(EmbeddedKafkaBroker broker)
    {
        Broker = broker;
        _bootstrapServers.TrySetResult(broker.BootstrapServers);
    }

    internal void FailedToStart(Exception exception) => _bootstrapServers.TrySetException(exception);
}

/// <summary>
/// An existing cluster: <c>ConnectionStrings:{name}</c> (a bootstrap list, or librdkafka
/// <c>key=value</c> pairs) plus any librdkafka properties under <c>Kafka:External:Properties</c>
/// (for example <c>security.protocol</c>, <c>sasl.mechanism</c>, <c>sasl.username</c>,
/// <c>sasl.password</c>), handed to services as one connection string.
/// </summary>
public sealed class ExternalKafkaResource(string name, ParameterResource connectionString, IReadOnlyDictionary<string, string> properties)
    : Resource(name), IKafkaResource
{
    public KafkaMode Mode => KafkaMode.External;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{new DeferredValue(connectionString.ValueExpression, ComposeAsync)}");

    private async ValueTask<string?> ComposeAsync(CancellationToken cancellationToken)
    {
        var given = await connectionString.GetValueAsync(cancellationToken);
        if (properties.Count == 0 || string.IsNullOrWhiteSpace(given))
        {
            return given;
        }

        var merged = new Dictionary<string, string>(KafkaConnectionString.Parse(given), StringComparer.Ordinal);
        foreach (var (key, value) in properties)
        {
            merged[key] = value;
        }

        return KafkaConnectionString.Format(merged);
    }
}

/// <summary>A value known only once the app runs (the embedded broker's port, a secret).</summary>
internal sealed class DeferredValue(string manifestExpression, Func<CancellationToken, ValueTask<string?>> getValue)
    : IValueProvider, IManifestExpressionProvider
{
    public string ValueExpression => manifestExpression;

    public ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default) => getValue(cancellationToken);
}
