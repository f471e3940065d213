using System.Net.Http.Headers;
using KafkaIngestion.Events;

namespace KafkaIngestion.Api.Input;

/// <summary>What the request said about the defaults the API fills in, and its limits.</summary>
/// <param name="MaxRecordBytes">
/// Largest Kafka record an event may become (key, data and attributes, with room for the trace
/// context and the record's framing); 0 leaves it unchecked.
/// </param>
/// <param name="ContentMode">How the record will be laid out, which decides its size.</param>
internal readonly record struct EventDefaults(string Source, DateTimeOffset Now, int MaxEventBytes, int MaxRecordBytes = 0,
    KafkaContentMode ContentMode = KafkaContentMode.Binary);

/// <summary>
/// The attributes of one event as read from a request (any of the three CloudEvents HTTP
/// modes, or the simple JSON of <c>/register_event</c>), before validation. <see cref="Build"/>
/// is the single place where an event is checked, so every input mode obeys the same rules.
/// </summary>
internal sealed class EventDraft
{
    public const int MaxIdLength = 256;
    public const int MaxTypeLength = 256;
    public const int MaxSourceLength = 1024;
    public const int MaxKeyLength = 1024;
    public const int MaxSubjectLength = 1024;
    public const int MaxExtensionValueLength = 1024;
    public const int MaxExtensions = 32;
    public const int MaxDataSchemaLength = 2048;
    public const int MaxContentTypeLength = 256;

    /// <summary>
    /// What a record carries besides the event: trace context headers (a tracestate may be 512
    /// characters) and librdkafka's framing of the record and its batch.
    /// </summary>
    public const int RecordOverheadBytes = 1024;

    public string? SpecVersion { get; set; }

    public bool SpecVersionRequired { get; set; }

    public string? Id { get; set; }

    public string? Type { get; set; }

    public string? Source { get; set; }

    public bool SourceRequired { get; set; }

    public string? Key { get; set; }

    public DateTimeOffset? Time { get; set; }

    public string? Subject { get; set; }

    public string? DataSchema { get; set; }

    public string? DataContentType { get; set; }

    public byte[]? Data { get; set; }

    public List<KeyValuePair<string, string>>? Extensions { get; set; }

    /// <summary>CloudEvents extension names: 1 to 20 lower-case ASCII letters or digits.</summary>
    public static bool IsValidExtensionName(string name) =>
        name.Length is >= 1 and <= 20 && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9'));

    public static bool IsJsonMediaType(string contentType)
    {
        var mediaType = contentType.Split(';', 2)[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("text/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    public void AddExtension(string name, string value, EventProblems problems, string prefix)
    {
        Extensions ??= [];
        if (!IsValidExtensionName(name))
        {
            problems.Add(prefix + name, "Attribute names are 1 to 20 lower-case letters or digits.");
        }
        else if (Extensions.Count >= MaxExtensions)
        {
            problems.Add(prefix + name, $"At most {MaxExtensions} extension attributes are allowed.");
        }
        else
        {
            Extensions.Add(new(name, value));
        }
    }

    /// <returns>The event, or null when this check added problems (callers also reject events with problems found while reading).</returns>
    public IngestEvent? Build(EventDefaults defaults, EventProblems problems, string prefix)
    {
        var before = problems.Added;

        if (SpecVersionRequired && SpecVersion is null)
        {
            problems.Add(prefix + "specversion", "The attribute 'specversion' is required.");
        }
        else if (SpecVersion is not null and not CloudEventKafkaBinding.SpecVersion)
        {
            problems.Add(prefix + "specversion", $"Only CloudEvents {CloudEventKafkaBinding.SpecVersion} is supported, not '{SpecVersion}'.");
        }

        if (string.IsNullOrWhiteSpace(Type))
        {
            problems.Add(prefix + "type", "The attribute 'type' is required and may not be empty.");
        }
        else
        {
            CheckText(problems, prefix, "type", Type, MaxTypeLength);
        }

        if (Id is not null)
        {
            if (Id.Length == 0)
            {
                problems.Add(prefix + "id", "The attribute 'id' may not be empty; leave it out to have one assigned.");
            }
            else
            {
                CheckText(problems, prefix, "id", Id, MaxIdLength);
            }
        }

        if (Source is null)
        {
            if (SourceRequired)
            {
                problems.Add(prefix + "source", "The attribute 'source' is required.");
            }
        }
        else if (Source.Length == 0)
        {
            problems.Add(prefix + "source", "The attribute 'source' may not be empty.");
        }
        else
        {
            CheckText(problems, prefix, "source", Source, MaxSourceLength);
        }

        CheckOptional(problems, prefix, "key", Key, MaxKeyLength);
        CheckOptional(problems, prefix, "subject", Subject, MaxSubjectLength);

        var schemaProblems = problems.Added;
        CheckOptional(problems, prefix, "dataschema", DataSchema, MaxDataSchemaLength);
        if (DataSchema is not null && problems.Added == schemaProblems && !Uri.TryCreate(DataSchema, UriKind.Absolute, out _))
        {
            problems.Add(prefix + "dataschema", "The attribute 'dataschema' must be an absolute URI.");
        }

        var typeProblems = problems.Added;
        CheckOptional(problems, prefix, "datacontenttype", DataContentType, MaxContentTypeLength);
        if (DataContentType is not null && problems.Added == typeProblems && !MediaTypeHeaderValue.TryParse(DataContentType, out _))
        {
            problems.Add(prefix + "datacontenttype", $"'{DataContentType}' is not a media type (RFC 2046).");
        }

        foreach (var (name, value) in Extensions ?? [])
        {
            CheckText(problems, prefix, name, value, MaxExtensionValueLength);
        }

        if (Data is { Length: var size } && size > defaults.MaxEventBytes)
        {
            problems.Add(prefix + "data", $"The event's data is {size} bytes; at most {defaults.MaxEventBytes} are allowed.");
        }

        if (problems.Added > before)
        {
            return null;
        }

        var ingestEvent = new IngestEvent(
            Id ?? Guid.CreateVersion7().ToString(),
            Type!,
            Source ?? defaults.Source,
            Key,
            Time ?? defaults.Now,
            Data ?? [],
            DataContentType ?? IngestEvent.JsonContentType)
        {
            Subject = Subject,
            DataSchema = DataSchema,
            Extensions = (IReadOnlyList<KeyValuePair<string, string>>?)Extensions ?? [],
        };

        // Each attribute may be within its limit and the whole still too large for one Kafka
        // record; the broker would refuse it on every resend, so it is refused here, as invalid.
        if (defaults.MaxRecordBytes > 0
            && CloudEventKafkaBinding.RecordSize(ingestEvent, defaults.ContentMode) + RecordOverheadBytes is var recordSize
            && recordSize > defaults.MaxRecordBytes)
        {
            problems.Add(prefix + "$", $"The event would be a Kafka record of {recordSize} bytes (data, key and attributes); at most {defaults.MaxRecordBytes} are allowed.");
            return null;
        }

        return ingestEvent;
    }

    private static void CheckOptional(EventProblems problems, string prefix, string field, string? value, int maxLength)
    {
        if (value is not null)
        {
            CheckText(problems, prefix, field, value, maxLength);
        }
    }

    private static void CheckText(EventProblems problems, string prefix, string field, string value, int maxLength)
    {
        if (value.Length > maxLength)
        {
            problems.Add(prefix + field, $"'{field}' is {value.Length} characters long; at most {maxLength} are allowed.");
        }
        else if (value.Any(char.IsControl))
        {
            // These values become Kafka headers and log fields, where control characters do harm.
            problems.Add(prefix + field, $"'{field}' contains control characters.");
        }
        else if (!IsWellFormed(value))
        {
            problems.Add(prefix + field, $"'{field}' is not well-formed Unicode.");
        }
    }

    private static bool IsWellFormed(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                return false;
            }
        }

        return true;
    }
}
