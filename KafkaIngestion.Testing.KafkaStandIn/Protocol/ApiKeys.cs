namespace KafkaIngestion.Testing.KafkaStandIn.Protocol;

/// <summary>The Kafka APIs the proxy looks into, and the first version of each that is "flexible" (KIP-482).</summary>
internal static class ApiKeys
{
    public const short Produce = 0;
    public const short Metadata = 3;
    public const short FindCoordinator = 10;
    public const short ApiVersions = 18;
    public const short CreateTopics = 19;

    /// <summary>Whether requests (and, except ApiVersions, responses) of this version carry tagged fields.</summary>
    public static bool IsFlexible(short apiKey, short apiVersion) => apiKey switch
    {
        Produce => apiVersion >= 9,
        Metadata => apiVersion >= 9,
        FindCoordinator => apiVersion >= 3,
        ApiVersions => apiVersion >= 3,
        CreateTopics => apiVersion >= 5,
        // Not looked into: its header's tagged fields need not be found.
        _ => false,
    };
}
