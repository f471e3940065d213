using System.Text;
using System.Text.Json;
using KafkaIngestion.Events;

namespace KafkaIngestion.Api.Input;

/// <summary>Which JSON shape an event object has.</summary>
internal enum EventJsonShape
{
    /// <summary>The simple event of <c>/register_event</c>: id, type, source, key, time, data.</summary>
    Simple,

    /// <summary>The CloudEvents 1.0 JSON event format (structured mode and batches).</summary>
    CloudEvent,
}

/// <summary>The outcome of reading a request body that holds events.</summary>
internal sealed record EventReadResult(IReadOnlyList<IngestEvent?> Events, EventProblems Problems, string? EnvelopeProblem, bool TooManyEvents)
{
    public static EventReadResult Envelope(string problem) => new([], new EventProblems(), problem, false);
}

/// <summary>
/// Reads events straight from the UTF-8 body with <see cref="Utf8JsonReader"/>: the payload
/// (<c>data</c>) is sliced from the body as sent rather than parsed into objects and written
/// again, and every problem is reported by attribute name. Syntax errors end the read, since
/// nothing after them can be trusted.
/// </summary>
internal static class EventJsonReader
{
    private static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 };

    /// <summary>A body holding one event object.</summary>
    /// <exception cref="JsonException">The body is not well-formed JSON.</exception>
    public static EventReadResult ReadSingle(ReadOnlySpan<byte> body, EventJsonShape shape, EventDefaults defaults)
    {
        var reader = new Utf8JsonReader(body, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return EventReadResult.Envelope("The body must be a JSON object.");
        }

        var problems = new EventProblems();
        var ingestEvent = ReadEvent(ref reader, body, shape, defaults, problems, prefix: "");
        EnsureEnd(ref reader);
        return new EventReadResult([ingestEvent], problems, null, false);
    }

    /// <summary>A body holding a JSON array of CloudEvents (<c>application/cloudevents-batch+json</c>).</summary>
    /// <exception cref="JsonException">The body is not well-formed JSON.</exception>
    public static EventReadResult ReadBatch(ReadOnlySpan<byte> body, EventDefaults defaults, int maxEvents)
    {
        var reader = new Utf8JsonReader(body, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            return EventReadResult.Envelope("A batch must be a JSON array of CloudEvents.");
        }

        var problems = new EventProblems();
        var events = new List<IngestEvent?>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (events.Count == maxEvents)
            {
                return new EventReadResult(events, problems, null, TooManyEvents: true);
            }

            var prefix = $"[{events.Count}].";
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                problems.Add(prefix[..^1], "Each item of a batch must be a JSON object.");
                reader.Skip();
                events.Add(null);
                continue;
            }

            events.Add(ReadEvent(ref reader, body, EventJsonShape.CloudEvent, defaults, problems, prefix));
        }

        EnsureEnd(ref reader);
        return events.Count == 0
            ? EventReadResult.Envelope("The batch is empty.")
            : new EventReadResult(events, problems, null, false);
    }

    private static IngestEvent? ReadEvent(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, EventJsonShape shape, EventDefaults defaults, EventProblems problems, string prefix)
    {
        var problemsBefore = problems.Added;
        var draft = new EventDraft
        {
            SpecVersionRequired = shape == EventJsonShape.CloudEvent,
            SourceRequired = shape == EventJsonShape.CloudEvent,
        };
        var data = default(DataToken);
        byte[]? dataBase64 = null;

        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString()!;
            reader.Read();
            switch (name)
            {
                case "id": draft.Id = ReadString(ref reader, problems, prefix, name); break;
                case "type": draft.Type = ReadString(ref reader, problems, prefix, name); break;
                case "source": draft.Source = ReadString(ref reader, problems, prefix, name); break;
                case "time": draft.Time = ReadTime(ref reader, problems, prefix, name); break;
                case "data": data = DataToken.Read(ref reader); break;
                case "key" when shape == EventJsonShape.Simple: draft.Key = ReadString(ref reader, problems, prefix, name); break;
                case "specversion" when shape == EventJsonShape.CloudEvent: draft.SpecVersion = ReadString(ref reader, problems, prefix, name); break;
                case "subject" when shape == EventJsonShape.CloudEvent: draft.Subject = ReadString(ref reader, problems, prefix, name); break;
                case "dataschema" when shape == EventJsonShape.CloudEvent: draft.DataSchema = ReadString(ref reader, problems, prefix, name); break;
                case "datacontenttype" when shape == EventJsonShape.CloudEvent: draft.DataContentType = ReadString(ref reader, problems, prefix, name); break;
                case "partitionkey" when shape == EventJsonShape.CloudEvent: draft.Key = ReadString(ref reader, problems, prefix, name); break;
                case "data_base64" when shape == EventJsonShape.CloudEvent:
                    if (reader.TokenType != JsonTokenType.String || !reader.TryGetBytesFromBase64(out dataBase64))
                    {
                        problems.Add(prefix + name, "'data_base64' must be a base64 string.");
                    }

                    break;
                case var extension when shape == EventJsonShape.CloudEvent:
                    if (ReadExtensionValue(ref reader, problems, prefix, extension) is { } value)
                    {
                        draft.AddExtension(extension, value, problems, prefix);
                    }

                    break;
                default:
                    problems.Add(prefix + name, $"Unknown field '{name}'; the event's content belongs in 'data'.");
                    reader.Skip();
                    break;
            }
        }

        if (data.IsPresent && dataBase64 is not null)
        {
            problems.Add(prefix + "data_base64", "An event has either 'data' or 'data_base64', not both.");
        }
        else if (dataBase64 is not null)
        {
            draft.Data = dataBase64;
        }
        else if (data.IsPresent)
        {
            draft.Data = data.Bytes(body, draft.DataContentType, problems, prefix);
        }

        // Problems found while reading count as much as those Build finds.
        var built = draft.Build(defaults, problems, prefix);
        return problems.Added > problemsBefore ? null : built;
    }

    /// <summary>Where <c>data</c> stood in the body; turned into bytes once the content type is known.</summary>
    private readonly record struct DataToken(bool IsPresent, JsonTokenType Token, int Start, int End, string? Text)
    {
        public static DataToken Read(ref Utf8JsonReader reader)
        {
            var token = reader.TokenType;
            var start = checked((int)reader.TokenStartIndex);
            var text = token == JsonTokenType.String ? reader.GetString() : null;
            reader.Skip();
            return new DataToken(true, token, start, checked((int)reader.BytesConsumed), text);
        }

        public byte[]? Bytes(ReadOnlySpan<byte> body, string? contentType, EventProblems problems, string prefix)
        {
            if (Token == JsonTokenType.Null)
            {
                return null;
            }

            // JSON data is kept exactly as sent. Other media types travel as a JSON string
            // holding the content itself (CloudEvents JSON format, section 3.1).
            if (contentType is null || EventDraft.IsJsonMediaType(contentType))
            {
                return body[Start..End].ToArray();
            }

            if (Text is not null)
            {
                return Encoding.UTF8.GetBytes(Text);
            }

            problems.Add(prefix + "data", $"For datacontenttype '{contentType}', 'data' must be a string; send binary content as 'data_base64'.");
            return null;
        }
    }

    private static string? ReadString(ref Utf8JsonReader reader, EventProblems problems, string prefix, string name)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return reader.GetString();
            case JsonTokenType.Null:
                return null;
            default:
                problems.Add(prefix + name, $"'{name}' must be a string.");
                reader.Skip();
                return null;
        }
    }

    private static DateTimeOffset? ReadTime(ref Utf8JsonReader reader, EventProblems problems, string prefix, string name)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var time))
        {
            return time;
        }

        problems.Add(prefix + name, $"'{name}' must be an RFC 3339 timestamp such as 2026-11-24T17:30:00Z.");
        reader.Skip();
        return null;
    }

    private static string? ReadExtensionValue(ref Utf8JsonReader reader, EventProblems problems, string prefix, string name)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return reader.GetString();
            case JsonTokenType.Number:
                return Encoding.UTF8.GetString(reader.ValueSpan);
            case JsonTokenType.True:
                return "true";
            case JsonTokenType.False:
                return "false";
            case JsonTokenType.Null:
                return null;
            default:
                problems.Add(prefix + name, $"Extension attribute '{name}' must be a string, number or boolean.");
                reader.Skip();
                return null;
        }
    }

    private static void EnsureEnd(ref Utf8JsonReader reader)
    {
        // Anything but white space after the value makes Read throw a JsonException.
        if (reader.Read())
        {
            throw new JsonException("There is more content after the JSON value.", null, null, reader.BytesConsumed);
        }
    }
}
