namespace KafkaIngestion.LoadGen;

/// <summary>A kept-alive connection failed before any byte of its answer: the request may be sent again on a new one.</summary>
internal sealed class StaleConnectionException(string message, Exception? inner = null)
    : TransportException(nameof(HttpRequestError.ConnectionError), message, inner);
