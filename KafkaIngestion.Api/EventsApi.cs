using System.Text.Json;
using KafkaIngestion.Events;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Api;

/// <summary>The ingestion endpoints.</summary>
internal static class EventsApi
{
    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("").WithTags("Events");

        api.MapPost("/register_event", RegisterEvent)
            .WithName("RegisterEvent")
            .WithSummary("Writes one JSON event to Kafka; answers 202 once the broker has stored it.");

        return app;
    }

    /// <summary>
    /// The body is read by hand rather than bound by the framework so that every way it can be
    /// wrong (content type, JSON syntax, field types, missing fields) gets a ProblemDetails
    /// answer that names the problem.
    /// </summary>
    public static async Task<Results<Accepted<EventAccepted>, ValidationProblem, ProblemHttpResult>> RegisterEvent(
        HttpContext context,
        EventPublisher publisher,
        IngestionCounters counters,
        IOptions<IngestionOptions> options,
        TimeProvider timeProvider,
        CancellationToken cancellationToken)
    {
        var request = context.Request;
        if (!request.HasJsonContentType())
        {
            counters.RecordRejected();
            return TypedResults.Problem(
                statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "Unsupported media type",
                detail: $"Send the event as application/json, not '{request.ContentType ?? "(none)"}'.");
        }

        RegisterEventRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync(request.Body, EventsJsonContext.Default.RegisterEventRequest, cancellationToken);
        }
        catch (JsonException ex)
        {
            counters.RecordRejected();
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { [ex.Path ?? "$"] = [DescribeJsonError(ex)] },
                title: "The body is not a valid event");
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel's own limits (body too large, body incomplete) carry their status code.
            counters.RecordRejected();
            return TypedResults.Problem(statusCode: ex.StatusCode, title: "The request body could not be read", detail: ex.Message);
        }

        if (body is null)
        {
            counters.RecordRejected();
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["$"] = ["The body must be a JSON object, not null."] },
                title: "The body is not a valid event");
        }

        var errors = RegisterEventValidator.Validate(body);
        if (errors.Count > 0)
        {
            counters.RecordRejected();
            return TypedResults.ValidationProblem(errors, title: "The event is invalid");
        }

        var ingestEvent = new IngestEvent(
            Id: body.Id ?? Guid.CreateVersion7().ToString(),
            Type: body.Type!,
            Source: body.Source ?? options.Value.DefaultSource,
            Key: body.Key,
            Time: body.Time ?? timeProvider.GetUtcNow(),
            Data: body.Data is { } data ? JsonSerializer.SerializeToUtf8Bytes(data, EventsJsonContext.Default.JsonElement) : []);

        var outcome = await publisher.PublishAsync(ingestEvent, cancellationToken);
        if (!outcome.Stored)
        {
            context.Response.Headers.RetryAfter = options.Value.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return TypedResults.Problem(
                statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "The event was not stored",
                detail: $"Kafka did not acknowledge the event ({outcome.Error?.Reason}). It was not accepted; send it again later.");
        }

        return TypedResults.Accepted((string?)null, new EventAccepted(ingestEvent.Id, publisher.Topic, outcome.Partition, outcome.Offset));
    }

    private static string DescribeJsonError(JsonException ex)
    {
        // System.Text.Json's conversion errors name .NET types, which mean nothing to a client;
        // its syntax errors are clear once the "Path: … | LineNumber: …" tail (already the
        // error's key and position) is cut off.
        var message = ex.Message;
        if (message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal))
        {
            message = ex.Path is null or "$"
                ? "The body must be a JSON object."
                : "The value has the wrong JSON type or format for this field.";
        }
        else if (message.IndexOf(" Path:", StringComparison.Ordinal) is > 0 and var cut)
        {
            message = message[..cut];
        }

        return ex.LineNumber is { } line
            ? $"{message} (line {line + 1}, byte {ex.BytePositionInLine + 1})"
            : message;
    }
}
