using Confluent.Kafka;
using KafkaIngestion.Consumer.Storage;
using KafkaIngestion.ConsumerApi;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KafkaIngestion.Consumer;

/// <summary>What the consumer has done, for the dashboard, tests and the load generator.</summary>
internal static class ConsumerStatusApi
{
    public static IEndpointRouteBuilder MapConsumerStatusApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("").WithTags("Status");
        api.MapGet("/status", GetStatus).WithName("GetConsumerStatus");
        api.MapPost("/processed/query", QueryProcessed).WithName("QueryProcessed");
        api.MapGet("/processed/recent", GetRecentEvents).WithName("GetRecentEvents");
        return app;
    }

    public static Ok<ConsumerStatus> GetStatus(ConsumerCounters counters, ConsumerLoopState loop, IConsumer<string?, byte[]> consumer)
    {
        // Assignment, positions and watermarks are librdkafka's local state (no broker round
        // trip), safe to read from any thread.
        var partitions = consumer.Assignment.OrderBy(p => p.Partition.Value).Select(p =>
        {
            var position = consumer.Position(p);
            var high = consumer.GetWatermarkOffsets(p).High;
            long? known(Offset offset) => offset.IsSpecial ? null : offset.Value;
            var lag = known(position) is { } at && known(high) is { } end ? Math.Max(0, end - at) : (long?)null;
            return new PartitionLag(p.Partition.Value, known(position), known(high), lag);
        }).ToArray();
        return TypedResults.Ok(new ConsumerStatus(
            loop.State, consumer.MemberId ?? "", counters.Processed, counters.Duplicates, counters.DeadLettered, counters.GapEvents, counters.StoreRetries,
            loop.ConsumeErrors, loop.LastError, loop.LastErrorAt, partitions));
    }

    /// <summary>The newest events this replica stored (what the API's web console shows), newest first.</summary>
    public static Results<Ok<RecentEventsResult>, ValidationProblem> GetRecentEvents(RecentEvents recent, int limit = 20)
    {
        if (limit is < 1 or > RecentEvents.Capacity)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["limit"] = [$"Ask for between 1 and {RecentEvents.Capacity} events."],
            });
        }

        return TypedResults.Ok(new RecentEventsResult(recent.Newest(limit)));
    }

    public static Results<Ok<ProcessedQueryResult>, ValidationProblem, ProblemHttpResult> QueryProcessed(ProcessedQuery query, IEventStore store)
    {
        if (query.Ids is not { Count: > 0 and <= ProcessedQuery.MaxIds } ids || ids.Any(string.IsNullOrEmpty))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["ids"] = [$"Give between 1 and {ProcessedQuery.MaxIds} ids, none of them null or empty."],
            });
        }

        try
        {
            if (!query.IncludeDelays)
            {
                return TypedResults.Ok(new ProcessedQueryResult(store.Lookup(ids)));
            }

            // One read per id for both answers.
            var found = store.LookupWithDelays(ids);
            return TypedResults.Ok(new ProcessedQueryResult(
                found.ToDictionary(f => f.Key, f => f.Value.Times, StringComparer.Ordinal),
                found.Where(f => f.Value.StoredAfterMs is not null).ToDictionary(f => f.Key, f => f.Value.StoredAfterMs!.Value, StringComparer.Ordinal)));
        }
        catch (EventStoreUnavailableException ex)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The store is unavailable", detail: ex.Message);
        }
    }
}
