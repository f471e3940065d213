namespace KafkaIngestion.Testing.KafkaStandIn.Protocol;

/// <summary>One topic of a CreateTopics request; -1 partitions or replication factor means the broker's default.</summary>
internal sealed record NewTopic(string Name, int Partitions, short ReplicationFactor, int AssignedPartitions, int Configs);

/// <summary>A CreateTopics request, v0–v4 (non-flexible; v4 allows the -1 defaults of KIP-464).</summary>
internal sealed record CreateTopicsRequest(IReadOnlyList<NewTopic> Topics, int TimeoutMs, bool ValidateOnly)
{
    public const short MaxVersion = 4;

    public static CreateTopicsRequest Parse(RequestHeader header, ReadOnlySpan<byte> payload)
    {
        if (header.ApiVersion > MaxVersion)
        {
            throw new NotSupportedException($"CreateTopics v{header.ApiVersion} is above the advertised v{MaxVersion}.");
        }

        var reader = new KafkaReader(payload[header.BodyOffset..]);
        var count = reader.ReadInt32();
        var topics = new List<NewTopic>(Math.Max(count, 0));
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadString();
            var partitions = reader.ReadInt32();
            var replicationFactor = reader.ReadInt16();
            var assignments = reader.ReadInt32();
            for (var a = 0; a < assignments; a++)
            {
                _ = reader.ReadInt32(); // partition_index
                var brokers = reader.ReadInt32();
                _ = reader.Take(4 * Math.Max(brokers, 0));
            }

            var configs = reader.ReadInt32();
            for (var c = 0; c < configs; c++)
            {
                _ = reader.ReadString();
                _ = reader.ReadNullableString();
            }

            topics.Add(new NewTopic(name, partitions, replicationFactor, Math.Max(assignments, 0), Math.Max(configs, 0)));
        }

        var timeoutMs = reader.ReadInt32();
        var validateOnly = header.ApiVersion >= 1 && reader.ReadBoolean();
        return new CreateTopicsRequest(topics, timeoutMs, validateOnly);
    }
}
