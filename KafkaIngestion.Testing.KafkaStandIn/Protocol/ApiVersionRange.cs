namespace KafkaIngestion.Testing.KafkaStandIn.Protocol;

/// <summary>One entry of an ApiVersions answer.</summary>
internal readonly record struct ApiVersionRange(short ApiKey, short MinVersion, short MaxVersion);
