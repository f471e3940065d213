using KafkaIngestion.Api.Input;
using KafkaIngestion.Events;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Api.WarmUp;

/// <summary>
/// The warm-up's route: the ingestion path of <c>/register_event</c> (read the body, parse and
/// validate the event, build its Kafka record, answer 202 with JSON) without producing it, so
/// warming up writes nothing to Kafka and counts nothing. Answers 404 to anyone without the
/// warm-up's token, and to everyone once it is over.
/// </summary>
internal static class WarmUpApi
{
    public const string Path = "/_warm-up/register_event";

    public static IEndpointRouteBuilder MapWarmUpApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, RegisterEventAsync).ExcludeFromDescription();
        return app;
    }

    private static async Task<Results<Accepted<EventAccepted>, NotFound, BadRequest>> RegisterEventAsync(
        HttpContext context, WarmUpState state, IOptions<IngestionOptions> options, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        if (!state.Admits(context.Request))
        {
            return TypedResults.NotFound();
        }

        var settings = options.Value;
        using var body = await RequestBody.ReadAsync(context.Request, settings.MaxRequestBytes, cancellationToken);
        var defaults = settings.EventDefaultsAt(timeProvider.GetUtcNow());
        if (body.TooLarge || EventJsonReader.ReadSingle(body.Span, EventJsonShape.Simple, defaults).Events is not [{ } ingestEvent])
        {
            return TypedResults.BadRequest();
        }

        _ = CloudEventKafkaBinding.ToMessage(ingestEvent, settings.KafkaContentMode);
        return TypedResults.Accepted((string?)null, new EventAccepted(ingestEvent.Id, settings.Topic, Partition: 0, Offset: 0));
    }
}
