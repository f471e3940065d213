using System.Collections.Concurrent;
using KafkaIngestion.Testing.KafkaStandIn.Protocol;

namespace KafkaIngestion.Testing.KafkaStandIn.Proxy;

/// <summary>
/// Creates topics in the mock cluster, shared by every connection, and remembers which exist (the
/// mock has no call to ask). Missing topics are created with KAFKA_NUM_PARTITIONS partitions where
/// the mock would use its own default of 4.
/// </summary>
internal sealed partial class TopicAdmin(MockCluster cluster, int defaultPartitions, ILogger logger)
{
    private readonly ConcurrentDictionary<string, bool> _known = new(StringComparer.Ordinal);

    public int DefaultPartitions => defaultPartitions;

    public bool Exists(string name) => _known.ContainsKey(name);

    public short Create(string name, int partitions, int replicationFactor)
    {
        var error = cluster.CreateTopic(name, partitions, replicationFactor);
        if (error is 0 or CreateTopicsHandler.TopicAlreadyExists)
        {
            _known[name] = true;
        }

        if (error == 0)
        {
            LogCreated(logger, name, partitions);
        }

        return error;
    }

    /// <summary>What Kafka's auto.create.topics.enable (true by default) does for a Metadata request.</summary>
    public void CreateMissing(IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            if (!Exists(name) && CreateTopicsHandler.IsValidName(name))
            {
                _ = Create(name, defaultPartitions, 1);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created topic {Topic} with {Partitions} partition(s)")]
    private static partial void LogCreated(ILogger logger, string topic, int partitions);
}
