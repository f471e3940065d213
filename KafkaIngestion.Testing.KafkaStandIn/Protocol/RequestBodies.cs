namespace KafkaIngestion.Testing.KafkaStandIn.Protocol;

/// <summary>The little the proxy reads of forwarded requests' bodies.</summary>
internal static class RequestBodies
{
    /// <summary>False only for a Produce request with acks=0, which a broker never answers.</summary>
    public static bool ExpectsResponse(RequestHeader header, ReadOnlySpan<byte> payload)
    {
        if (header.ApiKey != ApiKeys.Produce)
        {
            return true;
        }

        var reader = new KafkaReader(payload[header.BodyOffset..]);
        if (header.ApiVersion >= 3)
        {
            _ = reader.ReadString(ApiKeys.IsFlexible(header.ApiKey, header.ApiVersion)); // transactional_id
        }

        return reader.ReadInt16() != 0;
    }

    /// <summary>
    /// The topic names a Metadata request (v0–v12) asks for, if it allows creating missing ones
    /// (always before v4); null when it asks for all topics or allows no creation.
    /// </summary>
    public static IReadOnlyList<string>? TopicsToAutoCreate(RequestHeader header, ReadOnlySpan<byte> payload)
    {
        var flexible = ApiKeys.IsFlexible(header.ApiKey, header.ApiVersion);
        var reader = new KafkaReader(payload[header.BodyOffset..]);
        var count = reader.ReadArrayLength(flexible);
        var names = new List<string>(Math.Max(count, 0));
        for (var i = 0; i < count; i++)
        {
            if (header.ApiVersion >= 10)
            {
                _ = reader.Take(16); // topic_id
            }

            if (reader.ReadString(flexible) is { } name)
            {
                names.Add(name);
            }

            if (flexible)
            {
                reader.SkipTaggedFields();
            }
        }

        var allowAutoCreation = header.ApiVersion < 4 || reader.ReadBoolean();
        return count > 0 && allowAutoCreation ? names : null;
    }
}
