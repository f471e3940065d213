using System.Globalization;
using System.Text;
using Confluent.Kafka;

namespace KafkaIngestion.Events;

/// <summary>
/// The CloudEvents 1.0 Kafka protocol binding in binary content mode: context attributes as
/// <c>ce_*</c> headers, the payload as the record value, the partition key as the record key.
/// The one place that writes and reads event records; the api, consumer and tests all use it.
/// </summary>
public static class CloudEventKafkaBinding
{
    public const string SpecVersion = "1.0";

    public const string SpecVersionHeader = "ce_specversion";
    public const string IdHeader = "ce_id";
    public const string TypeHeader = "ce_type";
    public const string SourceHeader = "ce_source";
    public const string TimeHeader = "ce_time";
    public const string ContentTypeHeader = "content-type";

    public static Message<string?, byte[]> ToMessage(IngestEvent ingestEvent)
    {
        ArgumentNullException.ThrowIfNull(ingestEvent);

        var headers = new Headers
        {
            { SpecVersionHeader, Encoding.UTF8.GetBytes(SpecVersion) },
            { IdHeader, Encoding.UTF8.GetBytes(ingestEvent.Id) },
            { TypeHeader, Encoding.UTF8.GetBytes(ingestEvent.Type) },
            { SourceHeader, Encoding.UTF8.GetBytes(ingestEvent.Source) },
            { TimeHeader, Encoding.UTF8.GetBytes(ingestEvent.Time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)) },
            { ContentTypeHeader, Encoding.UTF8.GetBytes(ingestEvent.DataContentType) },
        };

        return new Message<string?, byte[]>
        {
            Key = ingestEvent.Key,
            Value = ingestEvent.Data,
            Headers = headers,
        };
    }

    /// <summary>
    /// Reads an event record. Returns false with a reason when a required attribute is missing
    /// or malformed, so that the caller can dead-letter the record instead of guessing.
    /// </summary>
    public static bool TryRead(Message<string?, byte[]> message, out IngestEvent? ingestEvent, out string? error)
    {
        ArgumentNullException.ThrowIfNull(message);
        ingestEvent = null;

        var headers = message.Headers ?? [];
        var specVersion = Header(headers, SpecVersionHeader);
        if (specVersion != SpecVersion)
        {
            error = specVersion is null ? $"missing header {SpecVersionHeader}" : $"unsupported {SpecVersionHeader} '{specVersion}'";
            return false;
        }

        var id = Header(headers, IdHeader);
        var type = Header(headers, TypeHeader);
        var source = Header(headers, SourceHeader);
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(type) || string.IsNullOrEmpty(source))
        {
            error = $"missing one of the required headers {IdHeader}, {TypeHeader}, {SourceHeader}";
            return false;
        }

        var timeText = Header(headers, TimeHeader);
        var time = DateTimeOffset.MinValue;
        if (timeText is not null && !DateTimeOffset.TryParse(timeText, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out time))
        {
            error = $"malformed {TimeHeader} '{timeText}'";
            return false;
        }

        ingestEvent = new IngestEvent(
            id, type, source, message.Key, time, message.Value ?? [],
            Header(headers, ContentTypeHeader) ?? IngestEvent.JsonContentType);
        error = null;
        return true;
    }

    private static string? Header(Headers headers, string name) =>
        headers.TryGetLastBytes(name, out var value) ? Encoding.UTF8.GetString(value) : null;
}
