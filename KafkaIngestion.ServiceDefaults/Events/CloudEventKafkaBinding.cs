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
    public const string HeaderPrefix = "ce_";

    public const string SpecVersionHeader = "ce_specversion";
    public const string IdHeader = "ce_id";
    public const string TypeHeader = "ce_type";
    public const string SourceHeader = "ce_source";
    public const string TimeHeader = "ce_time";
    public const string SubjectHeader = "ce_subject";
    public const string DataSchemaHeader = "ce_dataschema";
    public const string ContentTypeHeader = "content-type";

    // Headers are immutable, so the ones every JSON event carries are shared, not rebuilt per event.
    private static readonly Header SpecVersionValue = new(SpecVersionHeader, Encoding.UTF8.GetBytes(SpecVersion));
    private static readonly Header JsonContentTypeValue = new(ContentTypeHeader, Encoding.UTF8.GetBytes(IngestEvent.JsonContentType));

    public static Message<string?, byte[]> ToMessage(IngestEvent ingestEvent)
    {
        ArgumentNullException.ThrowIfNull(ingestEvent);

        var headers = new Headers
        {
            SpecVersionValue,
            { IdHeader, Encoding.UTF8.GetBytes(ingestEvent.Id) },
            { TypeHeader, Encoding.UTF8.GetBytes(ingestEvent.Type) },
            { SourceHeader, Encoding.UTF8.GetBytes(ingestEvent.Source) },
            { TimeHeader, Encoding.UTF8.GetBytes(ingestEvent.Time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)) },
            ingestEvent.DataContentType == IngestEvent.JsonContentType
                ? JsonContentTypeValue
                : new Header(ContentTypeHeader, Encoding.UTF8.GetBytes(ingestEvent.DataContentType)),
        };

        if (ingestEvent.Subject is { } subject)
        {
            headers.Add(SubjectHeader, Encoding.UTF8.GetBytes(subject));
        }

        if (ingestEvent.DataSchema is { } dataSchema)
        {
            headers.Add(DataSchemaHeader, Encoding.UTF8.GetBytes(dataSchema));
        }

        foreach (var (name, value) in ingestEvent.Extensions)
        {
            headers.Add(HeaderPrefix + name, Encoding.UTF8.GetBytes(value));
        }

        return new Message<string?, byte[]>
        {
            Key = ingestEvent.Key,
            Value = ingestEvent.Data,
            Headers = headers,
        };
    }

    /// <summary>
    /// The bytes the record of <paramref name="ingestEvent"/> holds: key, value, and every
    /// header's name and value, as <see cref="ToMessage"/> writes them. Kafka limits a record's
    /// size (message.max.bytes); the API checks against this before it produces, so an event too
    /// large for the broker is refused as invalid rather than failing at the broker.
    /// </summary>
    public static int RecordSize(IngestEvent ingestEvent)
    {
        ArgumentNullException.ThrowIfNull(ingestEvent);

        var size = ingestEvent.Data.Length
            + (ingestEvent.Key is { } key ? Encoding.UTF8.GetByteCount(key) : 0)
            + SpecVersionHeader.Length + SpecVersion.Length
            + IdHeader.Length + Encoding.UTF8.GetByteCount(ingestEvent.Id)
            + TypeHeader.Length + Encoding.UTF8.GetByteCount(ingestEvent.Type)
            + SourceHeader.Length + Encoding.UTF8.GetByteCount(ingestEvent.Source)
            // A DateTimeOffset in round-trip ("O") form is always 33 characters.
            + TimeHeader.Length + 33
            + ContentTypeHeader.Length + Encoding.UTF8.GetByteCount(ingestEvent.DataContentType);
        if (ingestEvent.Subject is { } subject)
        {
            size += SubjectHeader.Length + Encoding.UTF8.GetByteCount(subject);
        }

        if (ingestEvent.DataSchema is { } dataSchema)
        {
            size += DataSchemaHeader.Length + Encoding.UTF8.GetByteCount(dataSchema);
        }

        foreach (var (name, value) in ingestEvent.Extensions)
        {
            size += HeaderPrefix.Length + name.Length + Encoding.UTF8.GetByteCount(value);
        }

        return size;
    }

    /// <summary>
    /// Reads an event record. Returns false with a reason when a required attribute is missing
    /// or malformed, so that the caller can dead-letter the record instead of guessing.
    /// </summary>
    public static bool TryRead(Message<string?, byte[]> message, out IngestEvent? ingestEvent, out string? error)
    {
        ArgumentNullException.ThrowIfNull(message);
        ingestEvent = null;

        string? specVersion = null, id = null, type = null, source = null, subject = null, dataSchema = null;
        byte[]? timeBytes = null;
        var contentType = IngestEvent.JsonContentType;
        List<KeyValuePair<string, string>>? extensions = null;
        foreach (var header in message.Headers ?? [])
        {
            var bytes = header.GetValueBytes();
            switch (header.Key)
            {
                // The two values nearly every record carries are compared as bytes: the consumer
                // reads hundreds of thousands of records a second, and each string is an allocation.
                case SpecVersionHeader: specVersion = bytes.AsSpan().SequenceEqual(SpecVersionValue.GetValueBytes()) ? SpecVersion : Decode(bytes); break;
                case ContentTypeHeader: contentType = bytes.AsSpan().SequenceEqual(JsonContentTypeValue.GetValueBytes()) ? IngestEvent.JsonContentType : Decode(bytes); break;
                case IdHeader: id = Decode(bytes); break;
                case TypeHeader: type = Decode(bytes); break;
                case SourceHeader: source = Decode(bytes); break;
                case TimeHeader: timeBytes = bytes; break;
                case SubjectHeader: subject = Decode(bytes); break;
                case DataSchemaHeader: dataSchema = Decode(bytes); break;
                case var name when name.StartsWith(HeaderPrefix, StringComparison.Ordinal):
                    (extensions ??= []).Add(new(name[HeaderPrefix.Length..], Decode(bytes)));
                    break;
                default: break; // other headers (e.g. trace context) are not event attributes
            }
        }

        if (specVersion != SpecVersion)
        {
            error = specVersion is null ? $"missing header {SpecVersionHeader}" : $"unsupported {SpecVersionHeader} '{specVersion}'";
            return false;
        }

        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(type) || string.IsNullOrEmpty(source))
        {
            error = $"missing one of the required headers {IdHeader}, {TypeHeader}, {SourceHeader}";
            return false;
        }

        if (FirstWithControlCharacters((IdHeader, id), (TypeHeader, type), (SourceHeader, source), (SubjectHeader, subject),
                (DataSchemaHeader, dataSchema), (ContentTypeHeader, contentType), ("key", message.Key)) is { } withControl)
        {
            // Nothing the API accepts has them; stores (PostgreSQL text) refuse some of them.
            error = $"{withControl} contains control characters";
            return false;
        }

        var time = DateTimeOffset.MinValue;
        // The API writes round-trip ("O") text, parsed straight from its bytes; anything else
        // goes through the general parser, which accepts what it always did.
        if (timeBytes is not null
            && !(System.Buffers.Text.Utf8Parser.TryParse(timeBytes, out time, out var consumed, 'O') && consumed == timeBytes.Length)
            && !DateTimeOffset.TryParse(Decode(timeBytes), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out time))
        {
            error = $"malformed {TimeHeader} '{Decode(timeBytes)}'";
            return false;
        }

        ingestEvent = new IngestEvent(id, type, source, message.Key, time, message.Value ?? [], contentType)
        {
            Subject = subject,
            DataSchema = dataSchema,
            Extensions = extensions ?? [],
        };
        error = null;
        return true;
    }

    private static string Decode(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    // What char.IsControl matches: C0 controls, DEL and C1 controls.
    private static readonly System.Buffers.SearchValues<char> ControlCharacters =
        System.Buffers.SearchValues.Create([.. Enumerable.Range(0, 0x20).Concat(Enumerable.Range(0x7F, 0x21)).Select(c => (char)c)]);

    private static string? FirstWithControlCharacters(params ReadOnlySpan<(string Name, string? Value)> attributes)
    {
        foreach (var (name, value) in attributes)
        {
            if (value is not null && value.AsSpan().ContainsAny(ControlCharacters))
            {
                return name;
            }
        }

        return null;
    }
}
