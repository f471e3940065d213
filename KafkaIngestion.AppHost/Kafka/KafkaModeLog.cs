namespace KafkaIngestion.AppHost.Kafka;

/// <summary>The line that says how Kafka is provided and why, in the AppHost's log and on the resource.</summary>
internal static partial class KafkaModeLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Kafka runs in {Mode} mode: {Reason}")]
    public static partial void ModeChosen(ILogger logger, string mode, string reason);
}
