using System.Globalization;
using System.Text.Json;
using KafkaIngestion.Api.Input;
using KafkaIngestion.Events;
using KafkaIngestion.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Api;

/// <summary>The ingestion endpoints: the original design's simple JSON and CloudEvents 1.0.</summary>
internal static class EventsApi
{
    public const string StructuredMediaType = "application/cloudevents+json";
    public const string BatchMediaType = "application/cloudevents-batch+json";

    public static RouteGroupBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("").WithTags("Events");

        api.MapPost("/register_event", RegisterEvent)
            .WithName("RegisterEvent")
            .WithSummary("Writes one simple JSON event to Kafka.")
            .WithDescription("Answers 202 once the broker has stored the event (acks=all), with its id, partition and offset.")
            // "*/*" keeps routing from answering 415 by itself: the handler answers it, with a reason.
            .Accepts<RegisterEventRequest>("application/json", "*/*")
            .Produces<EventAccepted>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        api.MapPost("/events", PostEvents)
            .WithName("PostEvents")
            .WithSummary("Writes CloudEvents 1.0 to Kafka: structured, batch or binary mode.")
            .WithDescription(
                "Structured mode: Content-Type application/cloudevents+json, one event. " +
                "Batch mode: Content-Type application/cloudevents-batch+json, a JSON array; the answer lists every event's result " +
                "(202 all stored, 207 some not, 400 all invalid, 503 none stored because the broker did not take them). " +
                "Binary mode: ce-specversion, ce-id, ce-source, ce-type (and other ce-*) headers, the body is the data. " +
                "The partitionkey extension becomes the Kafka record key.")
            .Accepts<JsonElement>(StructuredMediaType, BatchMediaType, "*/*")
            .Produces<EventAccepted>(StatusCodes.Status202Accepted)
            .Produces<BatchResult>(StatusCodes.Status207MultiStatus)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        return api;
    }

    public static async Task<IResult> RegisterEvent(
        HttpContext context, EventPublisher publisher, IngestionCounters counters, InFlightBudget budget, IOptions<IngestionOptions> options,
        PayloadLog payloads, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        if (!context.Request.HasJsonContentType())
        {
            return UnsupportedMediaType(counters, $"Send the event as application/json, not '{context.Request.ContentType ?? "(none)"}'.");
        }

        return await IngestAsync(context, publisher, counters, budget, options.Value, payloads, timeProvider,
            (body, defaults) => EventJsonReader.ReadSingle(body, EventJsonShape.Simple, defaults), isBatch: false, cancellationToken);
    }

    public static async Task<IResult> PostEvents(
        HttpContext context, EventPublisher publisher, IngestionCounters counters, InFlightBudget budget, IOptions<IngestionOptions> options,
        PayloadLog payloads, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var request = context.Request;
        var settings = options.Value;
        var mediaType = request.ContentType?.Split(';', 2)[0].Trim();

        if (string.Equals(mediaType, StructuredMediaType, StringComparison.OrdinalIgnoreCase))
        {
            return await IngestAsync(context, publisher, counters, budget, settings, payloads, timeProvider,
                (body, defaults) => EventJsonReader.ReadSingle(body, EventJsonShape.CloudEvent, defaults), isBatch: false, cancellationToken);
        }

        if (string.Equals(mediaType, BatchMediaType, StringComparison.OrdinalIgnoreCase))
        {
            return await IngestAsync(context, publisher, counters, budget, settings, payloads, timeProvider,
                (body, defaults) => EventJsonReader.ReadBatch(body, defaults, settings.MaxBatchEvents), isBatch: true, cancellationToken);
        }

        if (BinaryModeReader.IsBinaryMode(request))
        {
            return await IngestAsync(context, publisher, counters, budget, settings, payloads, timeProvider,
                (body, defaults) => BinaryModeReader.Read(request, body, defaults), isBatch: false, cancellationToken);
        }

        return UnsupportedMediaType(counters,
            $"Send CloudEvents as {StructuredMediaType}, as {BatchMediaType}, or in binary mode with ce-* headers; got '{request.ContentType ?? "(none)"}' without a ce-specversion header.");
    }

    private delegate EventReadResult EventBodyReader(ReadOnlySpan<byte> body, EventDefaults defaults);

    private static async Task<IResult> IngestAsync(
        HttpContext context, EventPublisher publisher, IngestionCounters counters, InFlightBudget budget, IngestionOptions settings,
        PayloadLog payloads, TimeProvider timeProvider, EventBodyReader read, bool isBatch, CancellationToken cancellationToken)
    {
        if (context.Request.ContentLength > settings.MaxRequestBytes)
        {
            counters.RecordRejected(RejectionReasons.BodyTooLarge);
            return TooLarge($"The body is larger than {settings.MaxRequestBytes} bytes (Ingestion:MaxRequestBytes).");
        }

        using var admission = await budget.AdmitAsync(context.Request.ContentLength, cancellationToken);
        if (admission is null)
        {
            counters.RecordFailed("in_flight_limit");
            return NotStored(context, settings, null, "The API is working at its in-flight limit (Ingestion:MaxInFlightBytes); nothing was read or stored. Send the request again later.");
        }

        EventReadResult parsed;
        try
        {
            using var body = await RequestBody.ReadAsync(context.Request, settings.MaxRequestBytes, cancellationToken);
            if (body.TooLarge)
            {
                counters.RecordRejected(RejectionReasons.BodyTooLarge);
                return TooLarge($"The body is larger than {settings.MaxRequestBytes} bytes (Ingestion:MaxRequestBytes).");
            }

            var defaults = new EventDefaults(settings.DefaultSource, timeProvider.GetUtcNow(), settings.MaxEventBytes, settings.MaxRecordBytes, settings.KafkaContentMode);
            try
            {
                parsed = read(body.Span, defaults);
            }
            catch (Exception ex) when (IsMalformed(ex))
            {
                // Answered below; the body is only here, before its buffer goes back to the pool.
                payloads.Refused(RejectionReasons.MalformedJson, body.Span);
                throw;
            }

            if (payloads.Enabled && (parsed.EnvelopeProblem is not null || parsed.TooManyEvents || parsed.Events.Contains(null)))
            {
                payloads.Refused(parsed.TooManyEvents ? RejectionReasons.BatchTooLarge : RejectionReasons.InvalidEvent, body.Span);
            }
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel's own limits (body too large, too slow, incomplete) carry their status code.
            counters.RecordRejected(ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? RejectionReasons.BodyTooLarge : RejectionReasons.MalformedJson);
            return TypedResults.Problem(statusCode: ex.StatusCode, title: "The request body could not be read", detail: ex.Message);
        }
        catch (Exception ex) when (IsMalformed(ex))
        {
            counters.RecordRejected(RejectionReasons.MalformedJson);
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { [(ex as JsonException)?.Path ?? "$"] = [DescribeJsonError(ex)] },
                title: "The body is not well-formed JSON");
        }

        if (parsed.EnvelopeProblem is { } envelopeProblem)
        {
            counters.RecordRejected(RejectionReasons.InvalidEvent);
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["$"] = [envelopeProblem] }, title: "The body holds no events");
        }

        if (parsed.TooManyEvents)
        {
            counters.RecordRejected(RejectionReasons.BatchTooLarge);
            return TooLarge($"A batch may hold at most {settings.MaxBatchEvents} events (Ingestion:MaxBatchEvents).");
        }

        var valid = parsed.Events.OfType<IngestEvent>().ToList();
        var rejectedCount = parsed.Events.Count - valid.Count;
        if (rejectedCount > 0)
        {
            counters.RecordRejected(RejectionReasons.InvalidEvent, rejectedCount);
        }

        if (valid.Count == 0)
        {
            return TypedResults.ValidationProblem(parsed.Problems.ToDictionary(),
                title: isBatch ? "Every event of the batch is invalid" : "The event is invalid");
        }

        var outcomes = await publisher.PublishAsync(valid, cancellationToken);
        return isBatch
            ? BatchAnswer(context, parsed, outcomes, settings)
            : SingleAnswer(context, valid[0], outcomes[0], publisher.Topic, settings);
    }

    private static bool IsMalformed(Exception ex) => ex is JsonException or InvalidOperationException or FormatException or OverflowException;

    private static IResult SingleAnswer(HttpContext context, IngestEvent ingestEvent, PublishOutcome outcome, string topic, IngestionOptions settings)
    {
        if (outcome.TooLarge)
        {
            return TooLarge($"Kafka refused the event for its size ({outcome.Error}: {outcome.Reason}); do not send it again as it is.");
        }

        if (!outcome.Stored)
        {
            return NotStored(context, settings, [ingestEvent.Id],
                $"Kafka did not acknowledge the event ({outcome.Error}: {outcome.Reason}). It may or may not have been stored: send it again later with the same id.");
        }

        return TypedResults.Accepted((string?)null, new EventAccepted(ingestEvent.Id, topic, outcome.Partition, outcome.Offset));
    }

    private static IResult BatchAnswer(HttpContext context, EventReadResult parsed, PublishOutcome[] outcomes, IngestionOptions settings)
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
            return NotStored(context, settings, [.. parsed.Events.Select(e => e!.Id)],
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
            context.Response.Headers.RetryAfter = settings.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        }

        var batch = new BatchResult(accepted, rejected, failed, results);
        return accepted == results.Length
            ? TypedResults.Accepted((string?)null, batch)
            : TypedResults.Json(batch, EventResultsJsonContext.Default.BatchResult, statusCode: StatusCodes.Status207MultiStatus);
    }

    /// <param name="ids">
    /// The events' ids, including ids the API assigned: an unacknowledged event may still have
    /// reached the broker, and only a resend with the same id is harmless downstream.
    /// </param>
    private static ProblemHttpResult NotStored(HttpContext context, IngestionOptions settings, IReadOnlyList<string>? ids, string detail)
    {
        context.Response.Headers.RetryAfter = settings.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        var extensions = ids is null ? null : new Dictionary<string, object?> { ["ids"] = ids };
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The broker did not acknowledge the event",
            detail: detail, extensions: extensions);
    }

    private static ProblemHttpResult TooLarge(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "The request is too large", detail: detail);

    private static ProblemHttpResult UnsupportedMediaType(IngestionCounters counters, string detail)
    {
        counters.RecordRejected(RejectionReasons.UnsupportedMediaType);
        return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type", detail: detail);
    }

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
