using KafkaIngestion.Api.WebConsole;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KafkaIngestion.Api;

/// <summary>
/// The web console's live feed. The page itself (<c>wwwroot/</c>) is served as static files at
/// <c>/</c>; it sends events with the key the person gives it, never one the server hands out.
/// </summary>
internal static class ConsoleApi
{
    public const string SnapshotEventType = "snapshot";

    public static IEndpointRouteBuilder MapConsoleApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("").WithTags("Console")
            .MapGet("/console/stream", StreamSnapshots)
            .WithName("StreamConsoleSnapshots")
            .WithSummary("Server-sent events: a 'snapshot' of throughput, consumer lag, recent events and the broker once a second. Holds no configuration or secrets.");

        return app;
    }

    public static ServerSentEventsResult<ConsoleSnapshot> StreamSnapshots(ConsoleFeed feed, CancellationToken cancellationToken) =>
        TypedResults.ServerSentEvents(feed.WatchAsync(cancellationToken), SnapshotEventType);
}
