using System.Globalization;
using System.Text;
using Confluent.Kafka;

namespace KafkaIngestion.Events;

/// <summary>
/// The CloudEvents 1.0 Kafka protocol binding. Binary content mode: context attributes as
/// <c>ce_*</c> headers, the payload as the record value. Structured content mode: the whole
/// event as one JSON value with a single <c>content-type</c> header. Either way the partition
/// key is the record key. The one place that writes and reads event records; the api, consumer
/// and tests all use it, and a reader takes both modes, record by record.
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

    /// <summary>The <c>content-type</c> of a structured-mode record (Kafka binding, section 3.3.1).</summary>
    public const string StructuredContentType = "application/cloudevents+json; charset=UTF-8";

    // Any content-type with this prefix (any case) marks a structured-mode record (Kafka binding, section 3).
    private static readonly byte[] CloudEventsMediaTypePrefix = "application/cloudevents"u8.ToArray();
    private static readonly byte[] JsonEventFormat = "application/cloudevents+json"u8.ToArray();

    internal static readonly AttributeNames HeaderNames = new("header", SpecVersionHeader, IdHeader, TypeHeader, SourceHeader, SubjectHeader, DataSchemaHeader, ContentTypeHeader);

    // Headers are immutable, so the ones every JSON event carries are shared, not rebuilt per event.
    private static readonly Header SpecVersionValue = new(SpecVersionHeader, Encoding.UTF8.GetBytes(SpecVersion));
    private static readonly Header JsonContentTypeValue = new(ContentTypeHeader, Encoding.UTF8.GetBytes(IngestEvent.JsonContentType));
    private static readonly Header StructuredContentTypeValue = new(ContentTypeHeader, Encoding.UTF8.GetBytes(StructuredContentType));

    public static Message<string?, byte[]> ToMessage(IngestEvent ingestEvent, KafkaContentMode mode = KafkaContentMode.Binary)
    {
        ArgumentNullException.ThrowIfNull(ingestEvent);
        if (mode == KafkaContentMode.Structured)
        {
            return new Message<string?, byte[]>
            {
                Key = ingestEvent.Key,
                Value = CloudEventJsonWriter.Write(ingestEvent),
                Headers = [StructuredContentTypeValue],
            };
        }

        var headers = new Headers
        {
            SpecVersionValue,
            { IdHeader, Encoding.UTF8.GetBytes(ingestEvent.Id) },
            Repeated(ref t_lastType, TypeHeader, ingestEvent.Type),
            Repeated(ref t_lastSource, SourceHeader, ingestEvent.Source),
            { TimeHeader, TimeBytes(ingestEvent.Time) },
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

    // The events of a batch mostly share their type and source: the last header of each (headers
    // are immutable, and the client copies them) is reused rather than encoded again.
    [ThreadStatic]
    private static (string Value, Header Header) t_lastType;

    [ThreadStatic]
    private static (string Value, Header Header) t_lastSource;

    private static Header Repeated(ref (string Value, Header Header) last, string name, string value)
    {
        if (!string.Equals(last.Value, value, StringComparison.Ordinal))
        {
            last = (value, new Header(name, Encoding.UTF8.GetBytes(value)));
        }

        return last.Header;
    }

    // Round-trip ("O") form of the UTC time, formatted straight into the header's bytes.
    private static byte[] TimeBytes(DateTimeOffset time)
    {
        var bytes = new byte[33];
        time.ToUniversalTime().TryFormat(bytes, out _, "O", CultureInfo.InvariantCulture);
        return bytes;
    }

    /// <summary>
    /// The bytes the record of <paramref name="ingestEvent"/> holds: key, value, and every
    /// header's name and value, as <see cref="ToMessage"/> writes them in <paramref name="mode"/>.
    /// Kafka limits a record's size (message.max.bytes); the API checks against this before it
    /// produces, so an event too large for the broker is refused as invalid rather than failing
    /// at the broker.
    /// </summary>
    public static int RecordSize(IngestEvent ingestEvent, KafkaContentMode mode = KafkaContentMode.Binary)
    {
        ArgumentNullException.ThrowIfNull(ingestEvent);
        if (mode == KafkaContentMode.Structured)
        {
            return (ingestEvent.Key is { } recordKey ? Encoding.UTF8.GetByteCount(recordKey) : 0)
                + ContentTypeHeader.Length + StructuredContentType.Length
                + CloudEventJsonWriter.Size(ingestEvent);
        }

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
    /// Reads an event record in either content mode, decided per record as the binding says: a
    /// <c>content-type</c> header starting with <c>application/cloudevents</c> means structured
    /// mode, anything else binary. Returns false with a reason when a required attribute is
    /// missing or malformed, so that the caller can dead-letter the record instead of guessing.
    /// </summary>
    public static bool TryRead(Message<string?, byte[]> message, out IngestEvent? ingestEvent, out string? error)
    {
        ArgumentNullException.ThrowIfNull(message);
        ingestEvent = null;
        if (StructuredContentTypeOf(message) is { } format)
        {
            var json = JsonEventFormat.Length;
            if (format.Length < json || !System.Text.Ascii.EqualsIgnoreCase(format.AsSpan(0, json), JsonEventFormat)
                || (format.Length > json && format[json] is not ((byte)';' or (byte)' ')))
            {
                // Another event format (e.g. +avro): this reader knows only JSON.
                error = $"unsupported event format '{Decode(format)}'";
                return false;
            }

            return CloudEventJsonReader.TryRead(message, out ingestEvent, out error);
        }

        return TryReadBinary(message, out ingestEvent, out error);
    }

    /// <returns>The <c>content-type</c> of a structured-mode record; null for a binary-mode one.</returns>
    private static byte[]? StructuredContentTypeOf(Message<string?, byte[]> message)
    {
        if (message.Headers is not { } headers)
        {
            return null;
        }

        for (var i = headers.Count - 1; i >= 0; i--)
        {
            if (headers[i].Key == ContentTypeHeader)
            {
                var value = headers[i].GetValueBytes();
                var prefix = CloudEventsMediaTypePrefix.Length;
                return value is not null && value.Length >= prefix
                    && System.Text.Ascii.EqualsIgnoreCase(value.AsSpan(0, prefix), CloudEventsMediaTypePrefix)
                        ? value
                        : null;
            }
        }

        return null;
    }

    private static bool TryReadBinary(Message<string?, byte[]> message, out IngestEvent? ingestEvent, out string? error)
    {
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

        error = CheckAttributes(HeaderNames, specVersion, id, type, source, subject, dataSchema, contentType, message.Key);
        if (error is not null)
        {
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

        ingestEvent = new IngestEvent(id!, type!, source!, message.Key, time, message.Value ?? [], contentType)
        {
            Subject = subject,
            DataSchema = dataSchema,
            Extensions = extensions ?? [],
        };
        error = null;
        return true;
    }

    /// <summary>
    /// What every event must have, in either mode: CloudEvents 1.0, the required attributes, and
    /// no control characters (nothing the API accepts has them; stores such as PostgreSQL refuse some).
    /// </summary>
    /// <returns>The reason the attributes do not make an event; null when they do.</returns>
    internal static string? CheckAttributes(AttributeNames names, string? specVersion, string? id, string? type, string? source,
        string? subject, string? dataSchema, string? contentType, string? key)
    {
        if (specVersion != SpecVersion)
        {
            return specVersion is null ? $"missing {names.Kind} {names.SpecVersion}" : $"unsupported {names.SpecVersion} '{specVersion}'";
        }

        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(type) || string.IsNullOrEmpty(source))
        {
            return $"missing one of the required {names.Kind}s {names.Id}, {names.Type}, {names.Source}";
        }

        return FirstWithControlCharacters((names.Id, id), (names.Type, type), (names.Source, source), (names.Subject, subject),
                (names.DataSchema, dataSchema), (names.ContentType, contentType), ("key", key)) is { } withControl
            ? $"{withControl} contains control characters"
            : null;
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

/// <summary>What a mode calls each attribute, for the reasons a record is refused.</summary>
internal sealed record AttributeNames(string Kind, string SpecVersion, string Id, string Type, string Source, string Subject, string DataSchema, string ContentType);
