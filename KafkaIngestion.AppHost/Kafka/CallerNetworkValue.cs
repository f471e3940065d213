namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A value that depends on who asks: a process on the host gets <paramref name="onHost"/>, a
/// container (or anything resolving on a container network) gets <paramref name="onContainerNetwork"/>.
/// Kafka needs this because a client is sent to the address of the listener it bootstrapped on.
/// </summary>
internal sealed class CallerNetworkValue(EndpointReferenceExpression onHost, EndpointReferenceExpression onContainerNetwork)
    : IValueProvider, IManifestExpressionProvider, IValueWithReferences
{
    public string ValueExpression => onHost.ValueExpression;

    public IEnumerable<object> References => [onHost.Endpoint, onContainerNetwork.Endpoint];

    public ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default) =>
        onHost.GetValueAsync(cancellationToken);

    public ValueTask<string?> GetValueAsync(ValueProviderContext context, CancellationToken cancellationToken = default) =>
        (OnContainerNetwork(context) ? onContainerNetwork : onHost).GetValueAsync(context, cancellationToken);

    internal static bool OnContainerNetwork(ValueProviderContext context) => context.Network is { } network
        ? network != KnownNetworkIdentifiers.LocalhostNetwork
        : context.Caller is ContainerResource;
}
