namespace KafkaIngestion.Testing.KafkaStandIn.Protocol;

/// <summary>The outcome for one topic: a Kafka error code (0 for success) and, from v1, a message.</summary>
internal sealed record TopicResult(string Name, short ErrorCode, string? ErrorMessage);

/// <summary>Writes a CreateTopics response, v0–v4 (header v0: correlation id only).</summary>
internal static class CreateTopicsResponse
{
    public static byte[] Write(int correlationId, short version, IReadOnlyList<TopicResult> results)
    {
        var writer = new KafkaWriter();
        writer.WriteInt32(correlationId);
        if (version >= 2)
        {
            writer.WriteInt32(0); // throttle_time_ms
        }

        writer.WriteArrayLength(results.Count, compact: false);
        foreach (var result in results)
        {
            writer.WriteString(result.Name, compact: false);
            writer.WriteInt16(result.ErrorCode);
            if (version >= 1)
            {
                writer.WriteString(result.ErrorMessage, compact: false);
            }
        }

        return writer.ToFrame();
    }
}
