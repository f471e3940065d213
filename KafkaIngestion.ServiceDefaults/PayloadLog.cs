using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.ServiceDefaults;

/// <summary>
/// The one place event payloads may be logged: the data of requests the API refused and of
/// records the consumer dead-lettered, at Debug, and only when <c>Telemetry:LogPayloads</c> is
/// on. Every other log line names events by id, partition and offset, never by content: payloads
/// are the senders' data and may hold personal information or secrets.
/// </summary>
public sealed partial class PayloadLog
{
    /// <summary>The log category, so that payload lines can be found (or filtered) as a whole.</summary>
    public const string Category = "KafkaIngestion.Payloads";

    /// <summary>
    /// At most this much of a payload is logged: a body may be megabytes, and one refused request
    /// must not flood the log pipeline.
    /// </summary>
    public const int MaxLoggedBytes = 4 * 1024;

    private readonly ILogger _logger;
    private readonly bool _enabled;

    public PayloadLog(IOptions<TelemetryOptions> options, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _logger = loggerFactory.CreateLogger(Category);
        _enabled = options.Value.LogPayloads;
    }

    /// <summary>Whether a payload would be logged; callers skip any work for it when not.</summary>
    public bool Enabled => _enabled && _logger.IsEnabled(LogLevel.Debug);

    /// <summary>A request the API refused after reading its body (malformed or invalid events).</summary>
    public void Refused(string reason, ReadOnlySpan<byte> body)
    {
        if (Enabled)
        {
            var payload = Describe(body);
            LogRefused(_logger, reason, body.Length, payload);
        }
    }

    /// <summary>A record moved to the dead-letter topic.</summary>
    public void DeadLettered(string record, string reason, ReadOnlySpan<byte> value)
    {
        if (Enabled)
        {
            var payload = Describe(value);
            LogDeadLettered(_logger, record, reason, value.Length, payload);
        }
    }

    /// <summary>The payload as text, cut at <see cref="MaxLoggedBytes"/>.</summary>
    internal static string Describe(ReadOnlySpan<byte> payload)
    {
        if (payload.Length <= MaxLoggedBytes)
        {
            return Encoding.UTF8.GetString(payload);
        }

        // A cut may split a UTF-8 sequence: it then ends in a replacement character, which is fine for a log.
        return Encoding.UTF8.GetString(payload[..MaxLoggedBytes]) + $"… ({payload.Length - MaxLoggedBytes} more bytes not logged)";
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Refused request ({Reason}), body of {Bytes} bytes: {Payload}")]
    private static partial void LogRefused(ILogger logger, string reason, int bytes, string payload);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Dead-lettered record {Record} ({Reason}), value of {Bytes} bytes: {Payload}")]
    private static partial void LogDeadLettered(ILogger logger, string record, string reason, int bytes, string payload);
}
