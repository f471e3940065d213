namespace KafkaIngestion.Testing.KafkaStandIn.Configuration;

/// <summary>The environment breaks the configuration contract; the message says how, for the container log.</summary>
internal sealed class StandInConfigurationException(string message) : Exception(message);
