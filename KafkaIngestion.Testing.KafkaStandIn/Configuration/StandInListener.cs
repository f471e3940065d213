namespace KafkaIngestion.Testing.KafkaStandIn.Configuration;

/// <summary>
/// A listener to bind. A client listener serves Kafka clients and answers them with its advertised
/// address; a controller listener (KAFKA_CONTROLLER_LISTENER_NAMES) has none: it is only bound.
/// </summary>
internal sealed record StandInListener(string Name, string BindHost, int Port, string? AdvertisedHost, int AdvertisedPort)
{
    public bool IsController => AdvertisedHost is null;

    public string Advertised => $"{AdvertisedHost}:{AdvertisedPort}";
}
