using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace KafkaIngestion.Events;

/// <summary>
/// Writes an event in the CloudEvents JSON event format (the value of a structured-mode record),
/// and tells its exact size without writing it. Attribute order: specversion, id, type, source,
/// time, subject, dataschema, datacontenttype, partitionkey, extensions, then data.
/// </summary>
internal static class CloudEventJsonWriter
{
    // A Kafka record is not HTML: only what JSON itself requires is escaped, so '+' in media
    // types and non-ASCII text stay as they are and the size stays predictable.
    internal static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = Encoder, SkipValidation = true };

    // The data is checked once more as the JSON it claims to be; its depth inside the event is one deeper.
    private static readonly JsonReaderOptions DataReaderOptions = new() { MaxDepth = 64 };

    // Buffers above this size are not kept for the next event: a rare 900 KB event must not pin 900 KB per thread.
    private const int KeptBufferBytes = 64 * 1024;

    // Printable ASCII that no JSON string escapes: a string of only these is written as it is.
    private static readonly SearchValues<char> Verbatim =
        SearchValues.Create([.. Enumerable.Range(0x20, 0x7F - 0x20).Select(c => (char)c).Where(c => c is not ('"' or '\\'))]);

    private static readonly JsonEncodedText SpecVersionName = JsonEncodedText.Encode("specversion");
    private static readonly JsonEncodedText IdName = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText TypeName = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText SourceName = JsonEncodedText.Encode("source");
    private static readonly JsonEncodedText TimeName = JsonEncodedText.Encode("time");
    private static readonly JsonEncodedText SubjectName = JsonEncodedText.Encode("subject");
    private static readonly JsonEncodedText DataSchemaName = JsonEncodedText.Encode("dataschema");
    private static readonly JsonEncodedText DataContentTypeName = JsonEncodedText.Encode("datacontenttype");
    private static readonly JsonEncodedText PartitionKeyName = JsonEncodedText.Encode("partitionkey");
    private static readonly JsonEncodedText DataName = JsonEncodedText.Encode("data");
    private static readonly JsonEncodedText DataBase64Name = JsonEncodedText.Encode("data_base64");
    private static readonly JsonEncodedText SpecVersionValue = JsonEncodedText.Encode(CloudEventKafkaBinding.SpecVersion);

    // Time in round-trip ("O") form, as binary mode writes it: always 33 characters.
    private const int TimeLength = 33;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    private enum DataMember { None, Json, Base64 }

    public static byte[] Write(IngestEvent ingestEvent)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        var writer = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        try
        {
            WriteEvent(writer, ingestEvent);
            writer.Flush();
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            if (buffer.Capacity > KeptBufferBytes)
            {
                t_buffer = null;
                t_writer = null;
            }
        }
    }

    /// <summary>The bytes <see cref="Write"/> returns for <paramref name="ingestEvent"/>, counted rather than written.</summary>
    public static int Size(IngestEvent ingestEvent)
    {
        var members = 5; // specversion, id, type, source, time
        var size = Member(SpecVersionName) + SpecVersionValue.EncodedUtf8Bytes.Length + 2
            + Member(IdName) + StringSize(ingestEvent.Id)
            + Member(TypeName) + StringSize(ingestEvent.Type)
            + Member(SourceName) + StringSize(ingestEvent.Source)
            + Member(TimeName) + TimeLength + 2;
        if (ingestEvent.Subject is { } subject)
        {
            size += Member(SubjectName) + StringSize(subject);
            members++;
        }

        if (ingestEvent.DataSchema is { } dataSchema)
        {
            size += Member(DataSchemaName) + StringSize(dataSchema);
            members++;
        }

        size += Member(DataContentTypeName) + StringSize(ingestEvent.DataContentType);
        members++;
        if (ingestEvent.Key is { } key)
        {
            size += Member(PartitionKeyName) + StringSize(key);
            members++;
        }

        foreach (var (name, value) in ingestEvent.Extensions)
        {
            size += StringSize(name) + 1 + StringSize(value);
            members++;
        }

        switch (DataMemberOf(ingestEvent))
        {
            case DataMember.Json:
                size += Member(DataName) + ingestEvent.Data.Length;
                members++;
                break;
            case DataMember.Base64:
                size += Member(DataBase64Name) + Base64Length(ingestEvent.Data.Length) + 2;
                members++;
                break;
            default:
                break;
        }

        // Braces, and a comma between members.
        return size + 2 + members - 1;
    }

    private static void WriteEvent(Utf8JsonWriter writer, IngestEvent ingestEvent)
    {
        writer.WriteStartObject();
        writer.WriteString(SpecVersionName, SpecVersionValue);
        writer.WriteString(IdName, ingestEvent.Id);
        writer.WriteString(TypeName, ingestEvent.Type);
        writer.WriteString(SourceName, ingestEvent.Source);
        Span<byte> time = stackalloc byte[TimeLength];
        ingestEvent.Time.ToUniversalTime().TryFormat(time, out var written, "O", System.Globalization.CultureInfo.InvariantCulture);
        writer.WriteString(TimeName, time[..written]);
        if (ingestEvent.Subject is { } subject)
        {
            writer.WriteString(SubjectName, subject);
        }

        if (ingestEvent.DataSchema is { } dataSchema)
        {
            writer.WriteString(DataSchemaName, dataSchema);
        }

        writer.WriteString(DataContentTypeName, ingestEvent.DataContentType);
        if (ingestEvent.Key is { } key)
        {
            // The partitionkey extension stays part of the event (Kafka binding, section 3.1).
            writer.WriteString(PartitionKeyName, key);
        }

        foreach (var (name, value) in ingestEvent.Extensions)
        {
            writer.WriteString(name, value);
        }

        switch (DataMemberOf(ingestEvent))
        {
            case DataMember.Json:
                // Checked as JSON by DataMemberOf already.
                writer.WritePropertyName(DataName);
                writer.WriteRawValue(ingestEvent.Data, skipInputValidation: true);
                break;
            case DataMember.Base64:
                writer.WriteBase64String(DataBase64Name, ingestEvent.Data);
                break;
            default:
                break;
        }

        writer.WriteEndObject();
    }

    /// <summary>
    /// JSON data goes in as the JSON value it is (JSON format, section 3.1.1). Anything else,
    /// including data that claims a JSON media type but does not parse, goes as base64, so the
    /// record is always well-formed and the bytes come back exactly as they were.
    /// </summary>
    private static DataMember DataMemberOf(IngestEvent ingestEvent) =>
        ingestEvent.Data.Length == 0 ? DataMember.None
        : IsJsonMediaType(ingestEvent.DataContentType) && IsJson(ingestEvent.Data) ? DataMember.Json
        : DataMember.Base64;

    /// <summary><c>*/json</c> or <c>*/*+json</c>, parameters aside (JSON format, section 3.1.1).</summary>
    internal static bool IsJsonMediaType(string contentType)
    {
        var mediaType = contentType.AsSpan();
        if (mediaType.IndexOf(';') is >= 0 and var parameters)
        {
            mediaType = mediaType[..parameters];
        }

        mediaType = mediaType.Trim();
        var slash = mediaType.IndexOf('/');
        return slash >= 0 && (mediaType[(slash + 1)..].Equals("json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }

    private static bool IsJson(ReadOnlySpan<byte> data)
    {
        var reader = new Utf8JsonReader(data, DataReaderOptions);
        try
        {
            while (reader.Read())
            {
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static int Member(JsonEncodedText name) => name.EncodedUtf8Bytes.Length + 3; // "name":

    private static int StringSize(string value) =>
        value.AsSpan().ContainsAnyExcept(Verbatim)
            ? JsonEncodedText.Encode(value, Encoder).EncodedUtf8Bytes.Length + 2
            : value.Length + 2;

    private static int Base64Length(int bytes) => (bytes + 2) / 3 * 4;
}
