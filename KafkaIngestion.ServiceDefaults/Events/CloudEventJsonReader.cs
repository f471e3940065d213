using System.Globalization;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;

namespace KafkaIngestion.Events;

/// <summary>
/// Reads a structured-mode record: the whole event as one CloudEvents JSON value. Straight from
/// the record's bytes with <see cref="Utf8JsonReader"/>; JSON data is sliced out as it was
/// written, never parsed into objects. Anything malformed is an error to report, not an exception.
/// </summary>
internal static class CloudEventJsonReader
{
    // The event object plus data as deep as the API accepts it.
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 65 };

    internal static readonly AttributeNames Names = new("attribute", "specversion", "id", "type", "source", "subject", "dataschema", "datacontenttype");

    public static bool TryRead(Message<string?, byte[]> message, out IngestEvent? ingestEvent, out string? error)
    {
        ingestEvent = null;
        if (message.Value is not { Length: > 0 } value)
        {
            error = "a structured-mode record has no value";
            return false;
        }

        try
        {
            return TryRead(value, message.Key, out ingestEvent, out error);
        }
        catch (JsonException ex)
        {
            error = $"malformed JSON event: {ex.Message}";
            return false;
        }
        catch (InvalidOperationException ex)
        {
            // A string that is not valid UTF-8.
            error = $"malformed JSON event: {ex.Message}";
            return false;
        }
    }

    private static bool TryRead(byte[] value, string? recordKey, out IngestEvent? ingestEvent, out string? error)
    {
        ingestEvent = null;
        var reader = new Utf8JsonReader(value, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            error = "a structured-mode record's value must be a JSON object";
            return false;
        }

        string? specVersion = null, id = null, type = null, source = null, subject = null, dataSchema = null, contentType = null, partitionKey = null;
        DateTimeOffset? time = null;
        string? malformedTime = null;
        (int Start, int End, JsonTokenType Token)? data = null;
        byte[]? dataBase64 = null;
        List<KeyValuePair<string, string>>? extensions = null;
        error = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                var start = checked((int)reader.TokenStartIndex);
                var token = reader.TokenType;
                reader.Skip();
                data = (start, checked((int)reader.BytesConsumed), token);
                continue;
            }

            if (reader.ValueTextEquals("data_base64"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String || !reader.TryGetBytesFromBase64(out dataBase64))
                {
                    error = "data_base64 is not a base64 string";
                }

                continue;
            }

            if (reader.ValueTextEquals("time"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    if (reader.TryGetDateTimeOffset(out var parsed)
                        // What binary mode's ce_time accepts, this accepts too.
                        || DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out parsed))
                    {
                        time = parsed;
                    }
                    else
                    {
                        malformedTime = reader.GetString();
                    }
                }
                else if (reader.TokenType != JsonTokenType.Null)
                {
                    error ??= "time must be a string";
                    reader.Skip();
                }

                continue;
            }

            if (AttributeOf(ref reader) is var attribute and not Attribute.Extension)
            {
                reader.Read();
                string? text = null;
                switch (reader.TokenType)
                {
                    // The values nearly every record carries are compared as bytes, not decoded.
                    case JsonTokenType.String when reader.ValueTextEquals("1.0"u8): text = CloudEventKafkaBinding.SpecVersion; break;
                    case JsonTokenType.String when reader.ValueTextEquals("application/json"u8): text = IngestEvent.JsonContentType; break;
                    case JsonTokenType.String: text = reader.GetString(); break;
                    case JsonTokenType.Null: break; // unset (JSON format, section 2.2)
                    default:
                        error ??= $"{attribute.ToString().ToLowerInvariant()} must be a string";
                        reader.Skip();
                        break;
                }

                switch (attribute)
                {
                    case Attribute.SpecVersion: specVersion = text; break;
                    case Attribute.Id: id = text; break;
                    case Attribute.Type: type = text; break;
                    case Attribute.Source: source = text; break;
                    case Attribute.Subject: subject = text; break;
                    case Attribute.DataSchema: dataSchema = text; break;
                    case Attribute.DataContentType: contentType = text; break;
                    default: partitionKey = text; break;
                }

                continue;
            }

            var extension = reader.GetString()!;
            reader.Read();
            switch (reader.TokenType)
            {
                case JsonTokenType.String: (extensions ??= []).Add(new(extension, reader.GetString()!)); break;
                case JsonTokenType.Number: (extensions ??= []).Add(new(extension, Encoding.UTF8.GetString(reader.ValueSpan))); break;
                case JsonTokenType.True: (extensions ??= []).Add(new(extension, "true")); break;
                case JsonTokenType.False: (extensions ??= []).Add(new(extension, "false")); break;
                case JsonTokenType.Null: break; // unset (JSON format, section 2.2)
                default:
                    error ??= $"extension attribute {extension} must be a string, number or boolean";
                    reader.Skip();
                    break;
            }
        }

        // Only white space may follow the event; anything else makes Read throw.
        reader.Read();
        if (error is not null)
        {
            return false;
        }

        error = CloudEventKafkaBinding.CheckAttributes(Names, specVersion, id, type, source, subject, dataSchema, contentType, recordKey ?? partitionKey);
        if (error is not null)
        {
            return false;
        }

        if (malformedTime is not null)
        {
            error = $"malformed time '{malformedTime}'";
            return false;
        }

        contentType ??= IngestEvent.JsonContentType;
        byte[] bytes;
        if (data is not null && dataBase64 is not null)
        {
            error = "an event has either data or data_base64, not both";
            return false;
        }
        else if (dataBase64 is not null)
        {
            bytes = dataBase64;
        }
        else if (data is not { } token || token.Token == JsonTokenType.Null)
        {
            bytes = [];
        }
        else if (CloudEventJsonWriter.IsJsonMediaType(contentType))
        {
            bytes = value.AsSpan(token.Start, token.End - token.Start).ToArray();
        }
        else if (token.Token == JsonTokenType.String)
        {
            // Text content of another media type travels as a JSON string (JSON format, section 3.1).
            var text = new Utf8JsonReader(value.AsSpan(token.Start, token.End - token.Start));
            text.Read();
            bytes = Encoding.UTF8.GetBytes(text.GetString()!);
        }
        else
        {
            error = $"data must be a string for datacontenttype '{contentType}'";
            return false;
        }

        // The record key is what Kafka partitioned by; partitionkey stands in only when there is none.
        ingestEvent = new IngestEvent(id!, type!, source!, recordKey ?? partitionKey, time ?? DateTimeOffset.MinValue, bytes, contentType)
        {
            Subject = subject,
            DataSchema = dataSchema,
            Extensions = extensions ?? [],
        };
        return true;
    }

    private enum Attribute { Extension, SpecVersion, Id, Type, Source, Subject, DataSchema, DataContentType, PartitionKey }

    private static Attribute AttributeOf(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("id"u8) ? Attribute.Id
        : reader.ValueTextEquals("type"u8) ? Attribute.Type
        : reader.ValueTextEquals("source"u8) ? Attribute.Source
        : reader.ValueTextEquals("specversion"u8) ? Attribute.SpecVersion
        : reader.ValueTextEquals("datacontenttype"u8) ? Attribute.DataContentType
        : reader.ValueTextEquals("partitionkey"u8) ? Attribute.PartitionKey
        : reader.ValueTextEquals("subject"u8) ? Attribute.Subject
        : reader.ValueTextEquals("dataschema"u8) ? Attribute.DataSchema
        : Attribute.Extension;
}
