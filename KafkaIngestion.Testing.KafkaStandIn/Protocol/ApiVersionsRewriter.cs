namespace KafkaIngestion.Testing.KafkaStandIn.Protocol;

/// <summary>
/// Rewrites the mock broker's ApiVersions answer: APIs whose answers the proxy rewrites are capped at
/// the versions whose layout it knows, and APIs it serves itself are added. Clients use the highest
/// version both sides support, so they never send what the proxy cannot read.
/// </summary>
internal static class ApiVersionsRewriter
{
    /// <param name="payload">The response frame without its size prefix. Its header is always v0.</param>
    /// <returns>The rewritten frame, or null to pass the answer on untouched (an error answer, e.g.
    /// UNSUPPORTED_VERSION to a v3 request, after which the client asks again with v0).</returns>
    public static byte[]? Rewrite(ReadOnlySpan<byte> payload, short requestVersion, IReadOnlyDictionary<short, short> caps, IReadOnlyList<ApiVersionRange> served)
    {
        var flexible = ApiKeys.IsFlexible(ApiKeys.ApiVersions, requestVersion);
        var reader = new KafkaReader(payload);
        var correlationId = reader.ReadInt32();
        var errorCode = reader.ReadInt16();
        if (errorCode != 0)
        {
            return null;
        }

        var count = reader.ReadArrayLength(flexible);
        var ranges = new List<ApiVersionRange>(Math.Max(count, 0) + served.Count);
        for (var i = 0; i < count; i++)
        {
            var range = new ApiVersionRange(reader.ReadInt16(), reader.ReadInt16(), reader.ReadInt16());
            if (flexible)
            {
                reader.SkipTaggedFields();
            }

            if (served.Any(s => s.ApiKey == range.ApiKey))
            {
                continue;
            }

            if (caps.TryGetValue(range.ApiKey, out var cap))
            {
                if (range.MinVersion > cap)
                {
                    continue;
                }

                range = range with { MaxVersion = Math.Min(range.MaxVersion, cap) };
            }

            ranges.Add(range);
        }

        ranges.AddRange(served);
        ranges.Sort((a, b) => a.ApiKey.CompareTo(b.ApiKey));

        var writer = new KafkaWriter();
        writer.WriteInt32(correlationId);
        writer.WriteInt16(errorCode);
        writer.WriteArrayLength(ranges.Count, flexible);
        foreach (var range in ranges)
        {
            writer.WriteInt16(range.ApiKey);
            writer.WriteInt16(range.MinVersion);
            writer.WriteInt16(range.MaxVersion);
            if (flexible)
            {
                writer.WriteUnsignedVarInt(0);
            }
        }

        // throttle_time_ms (v1+) and, in v3+, the top-level tagged fields: unchanged.
        writer.WriteBytes(reader.Take(reader.Remaining));
        return writer.ToFrame();
    }
}
