using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using KafkaIngestion.Events;
using KafkaIngestion.IngestGrpc;
using AttributeCase = KafkaIngestion.IngestGrpc.CloudEventAttributeValue.AttrOneofCase;

namespace KafkaIngestion.Api.Input;

/// <summary>
/// Fills an <see cref="EventDraft"/> from a gRPC <see cref="CloudEvent"/> (the CloudEvents
/// protobuf format), so gRPC events are checked by the same rules, with the same problems by
/// attribute, as the HTTP modes. In proto3 an empty string is an absent one: an empty id gets a
/// UUIDv7, an empty source, type or spec_version is missing.
/// </summary>
internal static class ProtoEventReader
{
    public const string TextContentType = "text/plain; charset=utf-8";
    public const string BinaryContentType = "application/octet-stream";

    /// <returns>The event, or null when it has problems (added to <paramref name="problems"/> under <paramref name="prefix"/>).</returns>
    public static IngestEvent? Read(CloudEvent cloudEvent, EventDefaults defaults, EventProblems problems, string prefix)
    {
        var before = problems.Added;
        var draft = new EventDraft
        {
            SpecVersionRequired = true,
            SourceRequired = true,
            SpecVersion = NullIfEmpty(cloudEvent.SpecVersion),
            Id = NullIfEmpty(cloudEvent.Id),
            Source = NullIfEmpty(cloudEvent.Source),
            Type = cloudEvent.Type,
        };

        foreach (var (name, value) in cloudEvent.Attributes)
        {
            ReadAttribute(draft, name, value, problems, prefix);
        }

        switch (cloudEvent.DataCase)
        {
            case CloudEvent.DataOneofCase.BinaryData:
                draft.Data = cloudEvent.BinaryData.ToByteArray();
                draft.DataContentType ??= BinaryContentType;
                break;
            case CloudEvent.DataOneofCase.TextData:
                draft.Data = System.Text.Encoding.UTF8.GetBytes(cloudEvent.TextData);
                draft.DataContentType ??= TextContentType;
                break;
            case CloudEvent.DataOneofCase.ProtoData:
                draft.Data = cloudEvent.ProtoData.Value.ToByteArray();
                draft.DataContentType ??= $"application/protobuf; messageType=\"{Any.GetTypeName(cloudEvent.ProtoData.TypeUrl)}\"";
                break;
        }

        var built = draft.Build(defaults, problems, prefix);
        return problems.Added > before ? null : built;
    }

    private static void ReadAttribute(EventDraft draft, string name, CloudEventAttributeValue value, EventProblems problems, string prefix)
    {
        switch (name)
        {
            case "id" or "source" or "specversion" or "type":
                problems.Add(prefix + name, $"'{name}' is a field of the CloudEvent message, not an entry of 'attributes'.");
                break;
            case "data" or "data_base64":
                problems.Add(prefix + name, "The event's content belongs in binary_data, text_data or proto_data.");
                break;
            case "time":
                draft.Time = value.AttrCase switch
                {
                    AttributeCase.CeTimestamp => value.CeTimestamp.ToDateTimeOffset(),
                    AttributeCase.CeString when DateTimeOffset.TryParse(value.CeString, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time) => time,
                    _ => Problem(problems, prefix, name, "'time' must be a ce_timestamp, or an RFC 3339 ce_string such as 2026-11-24T17:30:00Z."),
                };
                break;
            case "subject":
                draft.Subject = Text(value, problems, prefix, name, AttributeCase.CeString);
                break;
            case "datacontenttype":
                draft.DataContentType = Text(value, problems, prefix, name, AttributeCase.CeString);
                break;
            case "partitionkey":
                draft.Key = Text(value, problems, prefix, name, AttributeCase.CeString);
                break;
            case "dataschema":
                draft.DataSchema = Text(value, problems, prefix, name, AttributeCase.CeUri, AttributeCase.CeUriRef, AttributeCase.CeString);
                break;
            default:
                if (ExtensionText(value) is { } text)
                {
                    draft.AddExtension(name, text, problems, prefix);
                }
                else
                {
                    problems.Add(prefix + name, $"The attribute '{name}' has no value.");
                }

                break;
        }
    }

    private static string? Text(CloudEventAttributeValue value, EventProblems problems, string prefix, string name, params AttributeCase[] allowed)
    {
        if (Array.IndexOf(allowed, value.AttrCase) < 0)
        {
            problems.Add(prefix + name, $"'{name}' must be a {string.Join(" or ", allowed.Select(CaseName))}, not {CaseName(value.AttrCase)}.");
            return null;
        }

        return value.AttrCase switch
        {
            AttributeCase.CeUri => value.CeUri,
            AttributeCase.CeUriRef => value.CeUriRef,
            _ => value.CeString,
        };
    }

    /// <summary>An extension's value in the string form the Kafka binding writes (CloudEvents type system).</summary>
    internal static string? ExtensionText(CloudEventAttributeValue value) => value.AttrCase switch
    {
        AttributeCase.CeBoolean => value.CeBoolean ? "true" : "false",
        AttributeCase.CeInteger => value.CeInteger.ToString(CultureInfo.InvariantCulture),
        AttributeCase.CeString => value.CeString,
        AttributeCase.CeBytes => value.CeBytes.ToBase64(),
        AttributeCase.CeUri => value.CeUri,
        AttributeCase.CeUriRef => value.CeUriRef,
        AttributeCase.CeTimestamp => value.CeTimestamp.ToDateTimeOffset().ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture),
        _ => null,
    };

    private static DateTimeOffset? Problem(EventProblems problems, string prefix, string name, string problem)
    {
        problems.Add(prefix + name, problem);
        return null;
    }

    private static string CaseName(AttributeCase attributeCase) => attributeCase switch
    {
        AttributeCase.CeBoolean => "ce_boolean",
        AttributeCase.CeInteger => "ce_integer",
        AttributeCase.CeString => "ce_string",
        AttributeCase.CeBytes => "ce_bytes",
        AttributeCase.CeUri => "ce_uri",
        AttributeCase.CeUriRef => "ce_uri_ref",
        AttributeCase.CeTimestamp => "ce_timestamp",
        _ => "no value",
    };

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
