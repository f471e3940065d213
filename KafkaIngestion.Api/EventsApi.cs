using System.Text.Json;
using KafkaIngestion.Api.Input;
using KafkaIngestion.Events;

namespace KafkaIngestion.Api;

/// <summary>The ingestion endpoints: the original design's simple JSON and CloudEvents 1.0.</summary>
internal static class EventsApi
{
    public const string StructuredMediaType = "application/cloudevents+json";
    public const string BatchMediaType = "application/cloudevents-batch+json";

    private const string CompressedBodies =
        "The body may be compressed, in any mode: Content-Encoding gzip, br, zstd or deflate (zlib). Size limits count the decoded bytes " +
        "(413 as soon as a body inflates past them); a corrupt or truncated stream gets 400, another coding 415 with Accept-Encoding.";

    public static RouteGroupBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("").WithTags("Events");

        api.MapPost("/register_event", RegisterEvent)
            .WithName("RegisterEvent")
            .WithSummary("Writes one simple JSON event to Kafka.")
            .WithDescription("Answers 202 once the broker has stored the event (acks=all), with its id, partition and offset. " + CompressedBodies)
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
                "The partitionkey extension becomes the Kafka record key. " + CompressedBodies)
            .Accepts<JsonElement>(StructuredMediaType, BatchMediaType, "*/*")
            .Produces<EventAccepted>(StatusCodes.Status202Accepted)
            .Produces<BatchResult>(StatusCodes.Status207MultiStatus)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        return api;
    }

    public static async Task<IResult> RegisterEvent([AsParameters] IngestionRequest request)
    {
        if (!request.Context.Request.HasJsonContentType())
        {
            return request.Pipeline.Answers.UnsupportedMediaType(
                $"Send the event as application/json, not '{request.Context.Request.ContentType ?? "(none)"}'.");
        }

        return await request.Pipeline.IngestAsync(request.Context, SimpleEvent, isBatch: false, request.CancellationToken);
    }

    public static async Task<IResult> PostEvents([AsParameters] IngestionRequest request)
    {
        var http = request.Context.Request;
        var mediaType = http.ContentType?.Split(';', 2)[0].Trim();

        if (string.Equals(mediaType, StructuredMediaType, StringComparison.OrdinalIgnoreCase))
        {
            return await request.Pipeline.IngestAsync(request.Context, StructuredEvent, isBatch: false, request.CancellationToken);
        }

        if (string.Equals(mediaType, BatchMediaType, StringComparison.OrdinalIgnoreCase))
        {
            return await request.Pipeline.IngestAsync(request.Context, EventBatch, isBatch: true, request.CancellationToken);
        }

        if (BinaryModeReader.IsBinaryMode(http))
        {
            return await request.Pipeline.IngestAsync(request.Context, BinaryModeEvent, isBatch: false, request.CancellationToken);
        }

        return request.Pipeline.Answers.UnsupportedMediaType(
            $"Send CloudEvents as {StructuredMediaType}, as {BatchMediaType}, or in binary mode with ce-* headers; got '{http.ContentType ?? "(none)"}' without a ce-specversion header.");
    }

    private static EventReadResult SimpleEvent(HttpRequest request, ReadOnlySpan<byte> body, EventDefaults defaults, IngestionOptions settings) =>
        EventJsonReader.ReadSingle(body, EventJsonShape.Simple, defaults);

    private static EventReadResult StructuredEvent(HttpRequest request, ReadOnlySpan<byte> body, EventDefaults defaults, IngestionOptions settings) =>
        EventJsonReader.ReadSingle(body, EventJsonShape.CloudEvent, defaults);

    private static EventReadResult EventBatch(HttpRequest request, ReadOnlySpan<byte> body, EventDefaults defaults, IngestionOptions settings) =>
        EventJsonReader.ReadBatch(body, defaults, settings.MaxBatchEvents);

    private static EventReadResult BinaryModeEvent(HttpRequest request, ReadOnlySpan<byte> body, EventDefaults defaults, IngestionOptions settings) =>
        BinaryModeReader.Read(request, body, defaults);
}

/// <summary>What an ingestion handler is given: the request and the pipeline that takes it in.</summary>
internal readonly record struct IngestionRequest(HttpContext Context, IngestionPipeline Pipeline, CancellationToken CancellationToken);
