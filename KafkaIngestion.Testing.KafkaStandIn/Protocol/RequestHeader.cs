namespace KafkaIngestion.Testing.KafkaStandIn.Protocol;

/// <summary>
/// A request header: api_key, api_version, correlation_id, client_id (a nullable int16-length
/// string even in flexible versions), then tagged fields in flexible versions.
/// </summary>
internal readonly record struct RequestHeader(short ApiKey, short ApiVersion, int CorrelationId, string? ClientId, int BodyOffset)
{
    /// <param name="payload">The frame without its size prefix.</param>
    public static RequestHeader Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new KafkaReader(payload);
        var apiKey = reader.ReadInt16();
        var apiVersion = reader.ReadInt16();
        var correlationId = reader.ReadInt32();
        var clientId = reader.ReadNullableString();
        if (ApiKeys.IsFlexible(apiKey, apiVersion))
        {
            reader.SkipTaggedFields();
        }

        return new RequestHeader(apiKey, apiVersion, correlationId, clientId, reader.Position);
    }
}
