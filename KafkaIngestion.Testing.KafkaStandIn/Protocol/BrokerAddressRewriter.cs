namespace KafkaIngestion.Testing.KafkaStandIn.Protocol;

/// <summary>
/// Puts the listener's advertised address into the answers that tell a client where brokers are:
/// Metadata (its brokers array, which comes first in every version) and FindCoordinator (v0–v3,
/// one coordinator). The rest of each answer is copied untouched.
/// </summary>
internal static class BrokerAddressRewriter
{
    /// <summary>The highest versions whose layout is implemented here (Metadata v13+ and FindCoordinator v4+ differ).</summary>
    public const short MaxMetadataVersion = 12;
    public const short MaxFindCoordinatorVersion = 3;

    /// <param name="payload">The response frame without its size prefix.</param>
    public static byte[] RewriteMetadata(ReadOnlySpan<byte> payload, short version, string host, int port)
    {
        if (version > MaxMetadataVersion)
        {
            throw new NotSupportedException($"Metadata v{version} is above the capped v{MaxMetadataVersion}.");
        }

        var flexible = ApiKeys.IsFlexible(ApiKeys.Metadata, version);
        var reader = new KafkaReader(payload);
        var writer = new KafkaWriter();
        CopyHeader(ref reader, writer, flexible);
        if (version >= 3)
        {
            writer.WriteInt32(reader.ReadInt32()); // throttle_time_ms
        }

        var brokers = reader.ReadArrayLength(flexible);
        writer.WriteArrayLength(brokers, flexible);
        for (var i = 0; i < brokers; i++)
        {
            writer.WriteInt32(reader.ReadInt32()); // node_id
            _ = reader.ReadString(flexible);
            _ = reader.ReadInt32();
            writer.WriteString(host, flexible);
            writer.WriteInt32(port);
            if (version >= 1)
            {
                writer.WriteString(reader.ReadString(flexible), flexible); // rack
            }

            if (flexible)
            {
                var start = reader.Position;
                reader.SkipTaggedFields();
                writer.WriteBytes(reader.ReadSince(start));
            }
        }

        writer.WriteBytes(reader.Take(reader.Remaining));
        return writer.ToFrame();
    }

    /// <param name="payload">The response frame without its size prefix.</param>
    public static byte[] RewriteFindCoordinator(ReadOnlySpan<byte> payload, short version, string host, int port)
    {
        if (version > MaxFindCoordinatorVersion)
        {
            throw new NotSupportedException($"FindCoordinator v{version} is above the capped v{MaxFindCoordinatorVersion}.");
        }

        var flexible = ApiKeys.IsFlexible(ApiKeys.FindCoordinator, version);
        var reader = new KafkaReader(payload);
        var writer = new KafkaWriter();
        CopyHeader(ref reader, writer, flexible);
        if (version >= 1)
        {
            writer.WriteInt32(reader.ReadInt32()); // throttle_time_ms
        }

        writer.WriteInt16(reader.ReadInt16()); // error_code
        if (version >= 1)
        {
            writer.WriteString(reader.ReadString(flexible), flexible); // error_message
        }

        var nodeId = reader.ReadInt32();
        writer.WriteInt32(nodeId);
        var originalHost = reader.ReadString(flexible);
        var originalPort = reader.ReadInt32();
        // With an error there is no coordinator (node -1): nothing to advertise.
        writer.WriteString(nodeId >= 0 ? host : originalHost, flexible);
        writer.WriteInt32(nodeId >= 0 ? port : originalPort);
        writer.WriteBytes(reader.Take(reader.Remaining));
        return writer.ToFrame();
    }

    /// <summary>correlation_id, plus tagged fields in flexible versions (response header v1).</summary>
    private static void CopyHeader(ref KafkaReader reader, KafkaWriter writer, bool flexible)
    {
        var start = reader.Position;
        _ = reader.ReadInt32();
        if (flexible)
        {
            reader.SkipTaggedFields();
        }

        writer.WriteBytes(reader.ReadSince(start));
    }
}
