using System.Globalization;
using System.Text.Json;
using KafkaIngestion.Api.Input;
using KafkaIngestion.Events;
using KafkaIngestion.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Api;

/// <summary>
/// Every answer the ingestion endpoints give (the gate's, the pipeline's and the broker's
/// verdicts), each counted where it is made: the counters in <c>/get_status</c> cannot disagree
/// with what clients were told.
/// </summary>
internal sealed class IngestionAnswers(IngestionCounters counters, IOptions<IngestionOptions> options)
{
    public ProblemHttpResult Unauthorized(HttpContext context)
    {
        context.Response.Headers.WWWAuthenticate = $"ApiKey header=\"{IngestionGate.ApiKeyHeader}\"";
        return Refuse(RejectionReasons.Unauthorized, StatusCodes.Status401Unauthorized, "An API key is required",
            $"Send a valid key in the {IngestionGate.ApiKeyHeader} header.");
    }

    public ProblemHttpResult RateLimited(HttpContext context, TimeSpan retryAfter)
    {
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return Refuse(RejectionReasons.RateLimited, StatusCodes.Status429TooManyRequests, "Too many requests",
            "This API key is over its request rate; retry after the time in Retry-After.");
    }

    public ProblemHttpResult UnsupportedMediaType(string detail) =>
        Refuse(RejectionReasons.UnsupportedMediaType, StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", detail);

    /// <summary>A Content-Encoding the API does not decode; <c>Accept-Encoding</c> names those it does (RFC 9110 §15.5.16).</summary>
    public ProblemHttpResult UnsupportedEncoding(HttpContext context, string detail)
    {
        context.Response.Headers.AcceptEncoding = ContentEncodingHeader.Supported;
        return Refuse(RejectionReasons.UnsupportedEncoding, StatusCodes.Status415UnsupportedMediaType, "Unsupported content encoding", detail);
    }

    public ProblemHttpResult BodyTooLarge(ContentCoding coding = ContentCoding.Identity) =>
        Refuse(RejectionReasons.BodyTooLarge, StatusCodes.Status413PayloadTooLarge, TooLargeTitle, coding == ContentCoding.Identity
            ? $"The body is larger than {options.Value.MaxRequestBytes} bytes (Ingestion:MaxRequestBytes)."
            : $"The body, {coding.Name()}-decoded, is larger than {options.Value.MaxRequestBytes} bytes (Ingestion:MaxRequestBytes); decoding stopped there.");

    public ProblemHttpResult Undecodable(string? detail) =>
        Refuse(RejectionReasons.UndecodableBody, StatusCodes.Status400BadRequest, "The body could not be decoded", detail ?? "The body is not a valid stream of its Content-Encoding.");

    public ProblemHttpResult BatchTooLarge() =>
        Refuse(RejectionReasons.BatchTooLarge, StatusCodes.Status413PayloadTooLarge, TooLargeTitle,
            $"A batch may hold at most {options.Value.MaxBatchEvents} events (Ingestion:MaxBatchEvents).");

    public ProblemHttpResult InFlightLimit(HttpContext context)
    {
        counters.RecordFailed(InFlightLimitReason);
        return NotStored(context, null, "The API is working at its in-flight limit (Ingestion:MaxInFlightBytes); nothing was read or stored. Send the request again later.");
    }

    /// <summary>Kestrel's own limits (body too large, too slow, incomplete) carry their status code.</summary>
    public ProblemHttpResult Unreadable(BadHttpRequestException ex) =>
        Refuse(ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? RejectionReasons.BodyTooLarge : RejectionReasons.MalformedJson,
            ex.StatusCode, "The request body could not be read", ex.Message);

    public ValidationProblem Malformed(Exception ex)
    {
        counters.RecordRejected(RejectionReasons.MalformedJson);
        return TypedResults.ValidationProblem(
            new Dictionary<string, string[]> { [(ex as JsonException)?.Path ?? "$"] = [DescribeJsonError(ex)] },
            title: "The body is not well-formed JSON");
    }

    public ValidationProblem NoEvents(string problem)
    {
        counters.RecordRejected(RejectionReasons.InvalidEvent);
        return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["$"] = [problem] }, title: "The body holds no events");
    }

    /// <summary>A refusal answered by another transport (gRPC), counted like its HTTP counterpart.</summary>
    public void CountRefused(string reason, long events = 1) => counters.RecordRejected(reason, events);

    /// <summary>Work refused at the in-flight limit, answered by another transport (gRPC).</summary>
    public void CountInFlightLimit() => counters.RecordFailed(InFlightLimitReason);

    /// <summary>Counts the invalid events of a request, before its valid ones are published.</summary>
    public void CountInvalid(int events)
    {
        if (events > 0)
        {
            counters.RecordRejected(RejectionReasons.InvalidEvent, events);
        }
    }

    /// <summary>Every event was invalid (counted by <see cref="CountInvalid"/>).</summary>
    public static ValidationProblem AllInvalid(EventProblems problems, bool isBatch) =>
        TypedResults.ValidationProblem(problems.ToDictionary(), title: isBatch ? "Every event of the batch is invalid" : "The event is invalid");

    /// <summary>The broker's verdict on one event, counted once whatever became of its request.</summary>
    public void Delivered(PublishOutcome outcome)
    {
        if (outcome.Stored)
        {
            counters.RecordAccepted();
        }
        else if (outcome.TooLarge)
        {
            counters.RecordRejected(RejectionReasons.RecordTooLarge);
        }
        else
        {
            counters.RecordFailed(outcome.Error.ToString());
        }
    }

    public IResult Single(HttpContext context, IngestEvent ingestEvent, PublishOutcome outcome, string topic)
    {
        if (outcome.TooLarge)
        {
            return TooLarge($"Kafka refused the event for its size ({outcome.Error}: {outcome.Reason}); do not send it again as it is.");
        }

        if (!outcome.Stored)
        {
            return NotStored(context, [ingestEvent.Id],
                $"Kafka did not acknowledge the event ({outcome.Error}: {outcome.Reason}). It may or may not have been stored: send it again later with the same id.");
        }

        return TypedResults.Accepted((string?)null, new EventAccepted(ingestEvent.Id, topic, outcome.Partition, outcome.Offset));
    }

    public IResult Batch(HttpContext context, EventReadResult parsed, PublishOutcome[] outcomes)
    {
        var results = new BatchEventResult[parsed.Events.Count];
        var problemsByEvent = parsed.Problems.ByEvent();
        int accepted = 0, rejected = 0, failed = 0, published = 0;
        for (var i = 0; i < results.Length; i++)
        {
            if (parsed.Events[i] is not { } ingestEvent)
            {
                rejected++;
                results[i] = new BatchEventResult(i, BatchEventResult.RejectedStatus, Errors: problemsByEvent.GetValueOrDefault(i));
                continue;
            }

            var outcome = outcomes[published++];
            if (outcome.Stored)
            {
                accepted++;
                results[i] = new BatchEventResult(i, BatchEventResult.AcceptedStatus, ingestEvent.Id, outcome.Partition, outcome.Offset);
            }
            else if (outcome.TooLarge)
            {
                // Permanent: resending cannot help, so it is reported like invalid input.
                rejected++;
                results[i] = new BatchEventResult(i, BatchEventResult.RejectedStatus, ingestEvent.Id,
                    Errors: new Dictionary<string, string[]> { ["$"] = [$"Kafka refused the event for its size ({outcome.Error}: {outcome.Reason})."] });
            }
            else
            {
                failed++;
                results[i] = new BatchEventResult(i, BatchEventResult.FailedStatus, ingestEvent.Id, Error: $"{outcome.Error}: {outcome.Reason}");
            }
        }

        if (accepted == 0 && rejected == 0)
        {
            return NotStored(context, [.. parsed.Events.Select(e => e!.Id)],
                $"Kafka did not acknowledge any of the {failed} events. They may or may not have been stored: send them again later with the same ids.");
        }

        if (accepted == 0 && failed == 0)
        {
            // Every event refused, some only by the broker (for size): the same 400 as a batch
            // whose events all failed validation.
            return TypedResults.ValidationProblem(
                results.SelectMany(r => (r.Errors ?? new Dictionary<string, string[]>()).Select(e => (Key: $"[{r.Index}].{e.Key}", e.Value)))
                    .ToDictionary(e => e.Key, e => e.Value),
                title: "Every event of the batch is invalid");
        }

        if (failed > 0)
        {
            context.Response.Headers.RetryAfter = options.Value.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        }

        var batch = new BatchResult(accepted, rejected, failed, results);
        return accepted == results.Length
            ? TypedResults.Accepted((string?)null, batch)
            : TypedResults.Json(batch, EventResultsJsonContext.Default.BatchResult, statusCode: StatusCodes.Status207MultiStatus);
    }

    public static bool IsMalformed(Exception ex) => ex is JsonException or InvalidOperationException or FormatException or OverflowException;

    private const string InFlightLimitReason = "in_flight_limit";

    private const string TooLargeTitle = "The request is too large";

    private ProblemHttpResult Refuse(string reason, int statusCode, string title, string detail)
    {
        counters.RecordRejected(reason);
        return TypedResults.Problem(statusCode: statusCode, title: title, detail: detail);
    }

    /// <param name="ids">
    /// The events' ids, including ids the API assigned: an unacknowledged event may still have
    /// reached the broker, and only a resend with the same id is harmless downstream.
    /// </param>
    private ProblemHttpResult NotStored(HttpContext context, IReadOnlyList<string>? ids, string detail)
    {
        context.Response.Headers.RetryAfter = options.Value.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        var extensions = ids is null ? null : new Dictionary<string, object?> { ["ids"] = ids };
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The broker did not acknowledge the event",
            detail: detail, extensions: extensions);
    }

    // Counted by Delivered: a record the broker refused for its size is counted when its verdict comes.
    private static ProblemHttpResult TooLarge(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: TooLargeTitle, detail: detail);

    private static string DescribeJsonError(Exception ex)
    {
        if (ex is not JsonException json)
        {
            // Utf8JsonReader reports invalid UTF-8 and lone surrogates this way.
            return $"The body is not valid UTF-8 JSON text: {ex.Message}";
        }

        // System.Text.Json appends "Path: … | LineNumber: …"; the path is already the key.
        var message = json.Message;
        if (message.IndexOf(" Path:", StringComparison.Ordinal) is > 0 and var cut)
        {
            message = message[..cut];
        }
        else if (message.IndexOf(" LineNumber:", StringComparison.Ordinal) is > 0 and var lineCut)
        {
            message = message[..lineCut];
        }

        return json.LineNumber is { } line
            ? $"{message.TrimEnd()} (line {line + 1}, byte {json.BytePositionInLine + 1})"
            : message;
    }
}
