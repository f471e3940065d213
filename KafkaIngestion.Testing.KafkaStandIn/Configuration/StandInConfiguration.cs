using System.Globalization;

namespace KafkaIngestion.Testing.KafkaStandIn.Configuration;

/// <summary>
/// The subset of the apache/kafka image's environment contract that the stand-in honours (KAFKA_*
/// variables are server.properties keys with '_' for '.'). Parsing is pure: the environment and
/// the machine's host name come in as arguments, so every rule is unit-tested.
/// </summary>
internal sealed record StandInConfiguration(
    IReadOnlyList<StandInListener> Listeners,
    string? NodeId,
    string? ClusterId,
    int NumPartitions,
    IReadOnlyList<string> IgnoredVariables)
{
    public const string ListenersVariable = "KAFKA_LISTENERS";
    public const string AdvertisedListenersVariable = "KAFKA_ADVERTISED_LISTENERS";
    public const string ProtocolMapVariable = "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP";
    public const string ControllerListenerNamesVariable = "KAFKA_CONTROLLER_LISTENER_NAMES";
    public const string NodeIdVariable = "KAFKA_NODE_ID";
    public const string NumPartitionsVariable = "KAFKA_NUM_PARTITIONS";
    public const string ClusterIdVariable = "CLUSTER_ID";

    /// <summary>Kafka's default for listener.security.protocol.map.</summary>
    private const string DefaultProtocolMap = "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL";

    private static readonly string[] KnownProtocols = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"];

    private static readonly HashSet<string> HonouredVariables =
    [
        ListenersVariable, AdvertisedListenersVariable, ProtocolMapVariable,
        ControllerListenerNamesVariable, NodeIdVariable, NumPartitionsVariable,
    ];

    public IEnumerable<StandInListener> ClientListeners => Listeners.Where(listener => !listener.IsController);

    /// <param name="localHostName">What an empty advertised host stands for (Kafka uses the canonical host name).</param>
    public static StandInConfiguration Parse(IReadOnlyDictionary<string, string> environment, string localHostName)
    {
        ArgumentNullException.ThrowIfNull(environment);
        string? Get(string name) => environment.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

        var listeners = ListenerAddress.ParseList(ListenersVariable, Get(ListenersVariable)
            ?? throw new StandInConfigurationException($"{ListenersVariable} is required (e.g. PLAINTEXT://0.0.0.0:9092)."));
        if (listeners.Count == 0)
        {
            throw new StandInConfigurationException($"{ListenersVariable} names no listener.");
        }

        var duplicatePort = listeners.GroupBy(listener => listener.Port).FirstOrDefault(group => group.Count() > 1);
        if (duplicatePort is not null)
        {
            throw new StandInConfigurationException($"{ListenersVariable}: each listener must have a different port; {duplicatePort.Key} is used by {string.Join(" and ", duplicatePort.Select(l => l.Name))}.");
        }

        CheckProtocols(listeners, Get(ProtocolMapVariable) ?? DefaultProtocolMap);

        var controllerNames = (Get(ControllerListenerNamesVariable) ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(name => name.ToUpperInvariant())
            .ToHashSet();

        var advertised = ListenerAddress.ParseList(AdvertisedListenersVariable, Get(AdvertisedListenersVariable) ?? "");
        var unknown = advertised.FirstOrDefault(a => listeners.All(l => l.Name != a.Name));
        if (unknown is not null)
        {
            throw new StandInConfigurationException($"{AdvertisedListenersVariable}: listener {unknown.Name} is not in {ListenersVariable}; advertised listeners must be a subset of the listeners.");
        }

        var resolved = listeners.Select(listener => controllerNames.Contains(listener.Name)
                ? new StandInListener(listener.Name, listener.Host, listener.Port, null, 0)
                : Advertise(listener, advertised.FirstOrDefault(a => a.Name == listener.Name), localHostName))
            .ToList();
        if (resolved.All(listener => listener.IsController))
        {
            throw new StandInConfigurationException($"{ListenersVariable}: every listener is a controller listener ({ControllerListenerNamesVariable}); clients would have nowhere to connect.");
        }

        return new StandInConfiguration(
            resolved,
            ParseInt(NodeIdVariable, Get(NodeIdVariable), min: 0)?.ToString(CultureInfo.InvariantCulture),
            Get(ClusterIdVariable),
            ParseInt(NumPartitionsVariable, Get(NumPartitionsVariable), min: 1) ?? 1,
            [.. environment.Keys
                .Where(name => name.StartsWith("KAFKA_", StringComparison.Ordinal) && !HonouredVariables.Contains(name))
                .Order(StringComparer.Ordinal)]);
    }

    private static StandInListener Advertise(ListenerAddress listener, ListenerAddress? advertised, string localHostName)
    {
        // As in Kafka: a listener not in advertised.listeners advertises its own address.
        var source = advertised ?? listener;
        var variable = advertised is null ? $"{ListenersVariable} (advertised because {AdvertisedListenersVariable} does not name {listener.Name})" : AdvertisedListenersVariable;
        if (source.Host is "0.0.0.0" or "::")
        {
            throw new StandInConfigurationException($"{variable}: {source} uses the non-routable meta-address {source.Host}; a client cannot connect to it. Advertise a host name or address clients can reach.");
        }

        var host = source.Host.Length == 0 ? localHostName : source.Host;
        return new StandInListener(listener.Name, listener.Host, listener.Port, host, source.Port);
    }

    private static void CheckProtocols(IReadOnlyList<ListenerAddress> listeners, string map)
    {
        var protocols = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in map.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = entry.Split(':', StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0 || !KnownProtocols.Contains(parts[1].ToUpperInvariant()))
            {
                throw new StandInConfigurationException($"{ProtocolMapVariable}: '{entry}' is not of the form NAME:PROTOCOL with PROTOCOL one of {string.Join(", ", KnownProtocols)}.");
            }

            protocols[parts[0].ToUpperInvariant()] = parts[1].ToUpperInvariant();
        }

        foreach (var listener in listeners)
        {
            if (!protocols.TryGetValue(listener.Name, out var protocol))
            {
                throw new StandInConfigurationException($"{ProtocolMapVariable} has no security protocol for listener {listener.Name}.");
            }

            if (protocol != "PLAINTEXT")
            {
                throw new StandInConfigurationException($"Listener {listener.Name} uses {protocol}: this stand-in (librdkafka's mock cluster) serves PLAINTEXT only.");
            }
        }
    }

    private static int? ParseInt(string variable, string? value, int min)
    {
        if (value is null)
        {
            return null;
        }

        return int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) && number >= min
            ? number
            : throw new StandInConfigurationException($"{variable}: '{value}' is not a whole number of at least {min}.");
    }
}
