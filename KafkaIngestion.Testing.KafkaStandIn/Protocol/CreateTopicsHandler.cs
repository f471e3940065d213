namespace KafkaIngestion.Testing.KafkaStandIn.Protocol;

/// <summary>
/// Decides each topic of a CreateTopics request as a one-broker Kafka cluster would, creating it
/// through <c>create</c> (the mock's rd_kafka_mock_topic_create: 0, or 36 when it exists). The mock
/// cannot be asked whether a topic exists, so validate_only checks <c>exists</c> (the topics the
/// stand-in created or saw asked for) and creates nothing.
/// </summary>
internal static class CreateTopicsHandler
{
    public const short InvalidTopic = 17;
    public const short TopicAlreadyExists = 36;
    public const short InvalidPartitions = 37;
    public const short InvalidReplicationFactor = 38;
    public const short InvalidRequest = 42;

    private const int MaxTopicNameLength = 249;
    private const int BrokerCount = 1;

    public static IReadOnlyList<TopicResult> Handle(
        CreateTopicsRequest request,
        int defaultPartitions,
        Func<string, int, int, short> create,
        Func<string, bool> exists)
    {
        ArgumentNullException.ThrowIfNull(request);
        return [.. request.Topics.Select(topic => Decide(topic, request.ValidateOnly, defaultPartitions, create, exists))];
    }

    private static TopicResult Decide(NewTopic topic, bool validateOnly, int defaultPartitions, Func<string, int, int, short> create, Func<string, bool> exists)
    {
        if (!IsValidName(topic.Name))
        {
            return new(topic.Name, InvalidTopic, $"Topic name '{topic.Name}' is illegal: it must be 1 to {MaxTopicNameLength} of [a-zA-Z0-9._-] and not '.' or '..'.");
        }

        if (topic.AssignedPartitions > 0)
        {
            return new(topic.Name, InvalidRequest, "Manual replica assignment is not supported by this Kafka stand-in (a test double).");
        }

        if (topic.Partitions is 0 or < -1)
        {
            return new(topic.Name, InvalidPartitions, $"Number of partitions must be larger than 0 (or -1 for the default), not {topic.Partitions}.");
        }

        if (topic.ReplicationFactor is 0 or < -1)
        {
            return new(topic.Name, InvalidReplicationFactor, $"Replication factor must be larger than 0 (or -1 for the default), not {topic.ReplicationFactor}.");
        }

        if (topic.ReplicationFactor > BrokerCount)
        {
            return new(topic.Name, InvalidReplicationFactor, $"Unable to replicate the partition {topic.ReplicationFactor} time(s): The target replication factor of {topic.ReplicationFactor} cannot be reached because only {BrokerCount} broker(s) are registered.");
        }

        var partitions = topic.Partitions == -1 ? defaultPartitions : topic.Partitions;
        var error = validateOnly
            ? exists(topic.Name) ? TopicAlreadyExists : (short)0
            : create(topic.Name, partitions, BrokerCount);
        return error switch
        {
            0 => new(topic.Name, 0, null),
            TopicAlreadyExists => new(topic.Name, TopicAlreadyExists, $"Topic '{topic.Name}' already exists."),
            _ => new(topic.Name, error, $"The mock cluster could not create topic '{topic.Name}' (Kafka error {error})."),
        };
    }

    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= MaxTopicNameLength
        && name is not ("." or "..")
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
