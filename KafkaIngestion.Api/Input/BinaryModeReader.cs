using KafkaIngestion.Events;

namespace KafkaIngestion.Api.Input;

/// <summary>
/// CloudEvents HTTP binary content mode: context attributes in <c>ce-*</c> headers
/// (percent-encoded where needed), <c>Content-Type</c> as <c>datacontenttype</c>, the body as data.
/// </summary>
internal static class BinaryModeReader
{
    public const string HeaderPrefix = "ce-";
    public const string SpecVersionHeader = "ce-specversion";

    public static bool IsBinaryMode(HttpRequest request) => request.Headers.ContainsKey(SpecVersionHeader);

    public static EventReadResult Read(HttpRequest request, ReadOnlySpan<byte> body, EventDefaults defaults)
    {
        var problems = new EventProblems();
        var draft = new EventDraft { SpecVersionRequired = true, SourceRequired = true, DataContentType = request.ContentType };
        foreach (var (headerName, values) in request.Headers)
        {
            if (!headerName.StartsWith(HeaderPrefix, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var name = headerName[HeaderPrefix.Length..].ToLowerInvariant();
            if (values.Count != 1)
            {
                problems.Add(name, $"The header '{headerName}' must appear once.");
                continue;
            }

            string value;
            try
            {
                value = Uri.UnescapeDataString(values[0] ?? "");
            }
            catch (UriFormatException)
            {
                problems.Add(name, $"The header '{headerName}' is not valid percent-encoded text.");
                continue;
            }

            switch (name)
            {
                case "specversion": draft.SpecVersion = value; break;
                case "id": draft.Id = value; break;
                case "type": draft.Type = value; break;
                case "source": draft.Source = value; break;
                case "subject": draft.Subject = value; break;
                case "dataschema": draft.DataSchema = value; break;
                case "partitionkey": draft.Key = value; break;
                case "time":
                    if (DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var time))
                    {
                        draft.Time = time;
                    }
                    else
                    {
                        problems.Add(name, "'ce-time' must be an RFC 3339 timestamp such as 2026-11-24T17:30:00Z.");
                    }

                    break;
                case "datacontenttype":
                    problems.Add(name, "In binary mode the content type is the Content-Type header, not 'ce-datacontenttype'.");
                    break;
                default:
                    draft.AddExtension(name, value, problems, "");
                    break;
            }
        }

        if (!body.IsEmpty)
        {
            draft.Data = body.ToArray();
        }

        draft.DataContentType ??= body.IsEmpty ? null : "application/octet-stream";
        var built = draft.Build(defaults, problems, "");
        IngestEvent? ingestEvent = problems.Count > 0 ? null : built;
        return new EventReadResult([ingestEvent], problems, null, false);
    }
}
