using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace KafkaIngestion.ServiceDefaults.Kafka;

/// <summary>Routes librdkafka's own log lines and client errors into the service's log pipeline.</summary>
internal static partial class KafkaLog
{
    public static void Librdkafka(ILogger logger, LogMessage message)
    {
        var level = ToLogLevel(message.Level);
        if (logger.IsEnabled(level))
        {
            LibrdkafkaMessage(logger, level, message.Facility, message.Name, message.Message);
        }
    }

    public static void ClientError(ILogger logger, Error error)
    {
        // librdkafka recovers from most errors by itself (reconnects, retries); only fatal
        // ones end the client, so only those are logged as errors.
        var level = error.IsFatal ? LogLevel.Critical : LogLevel.Warning;
        ClientErrorMessage(logger, level, error.Code, error.Reason, error.IsFatal);
    }

    [LoggerMessage(EventId = 1, Message = "librdkafka {Facility} [{Client}]: {Text}")]
    private static partial void LibrdkafkaMessage(ILogger logger, LogLevel level, string facility, string client, string text);

    [LoggerMessage(EventId = 2, Message = "Kafka client error {Code}: {Reason} (fatal: {IsFatal})")]
    private static partial void ClientErrorMessage(ILogger logger, LogLevel level, ErrorCode code, string reason, bool isFatal);

    private static LogLevel ToLogLevel(SyslogLevel level) => level switch
    {
        SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Critical,
        SyslogLevel.Error => LogLevel.Error,
        SyslogLevel.Warning => LogLevel.Warning,
        SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
        _ => LogLevel.Debug,
    };
}
