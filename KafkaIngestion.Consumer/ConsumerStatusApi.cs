using System.Text.Json;
using System.Text.Json.Serialization;
using Confluent.Kafka;
using KafkaIngestion.Consumer.Storage;
using KafkaIngestion.ConsumerApi;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KafkaIngestion.Consumer;

/// <summary>Where to replay from: <c>earliest</c>, or an RFC 3339 time.</summary>
internal sealed record ReplayRequest(string? From);

/// <summary>Ask which of these event ids are stored.</summary>
/// <param name="IncludeDelays">Also say, per stored id, how long after its acceptance it was stored.</param>
internal sealed record ProcessedQuery(IReadOnlyList<string>? Ids, bool IncludeDelays = false);

/// <param name="TimesProcessed">Per id: how many times the store holds the event (1 when stored, 0 when not; never more unless the store broke its promise).</param>
/// <param name="StoredAfterMs">When asked: per stored id, milliseconds from the event's time (its acceptance by the API unless the sender set a time) to its storage.</param>
internal sealed record ProcessedQueryResult(IReadOnlyDictionary<string, int> TimesProcessed, IReadOnlyDictionary<string, double>? StoredAfterMs = null);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ProcessedQuery))]
[JsonSerializable(typeof(ProcessedQueryResult))]
[JsonSerializable(typeof(ReplayRequest))]
[JsonSerializable(typeof(DeadLetterReprocessResult))]
internal sealed partial class ConsumerJsonContext : JsonSerializerContext;

/// <summary>What the consumer has done, for the dashboard, tests and the load generator.</summary>
internal static class ConsumerStatusApi
{
    public const int MaxIdsPerQuery = 10_000;

    public static IEndpointRouteBuilder MapConsumerStatusApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("").WithTags("Status");
        api.MapGet("/status", GetStatus).WithName("GetConsumerStatus");
        api.MapPost("/processed/query", QueryProcessed).WithName("QueryProcessed");
        api.MapGet("/processed/recent", GetRecentEvents).WithName("GetRecentEvents");
        app.MapPost("/replay", Replay).WithTags("Operations").WithName("Replay");
        app.MapPost("/dead-letters/reprocess", ReprocessDeadLetters).WithTags("Operations").WithName("ReprocessDeadLetters");
        return app;
    }

    /// <summary>Asks the consume loop to read this member's partitions again; answered at once.</summary>
    public static Results<Accepted, ValidationProblem> Replay(ReplayRequest? request, ReplayRequests replays)
    {
        var from = request?.From ?? "earliest";
        if (from == "earliest")
        {
            replays.Request(DateTimeOffset.MinValue);
        }
        else if (DateTimeOffset.TryParse(from, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var time))
        {
            replays.Request(time);
        }
        else
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["from"] = ["Use \"earliest\" or an RFC 3339 time such as 2026-11-24T17:30:00Z."],
            });
        }

        return TypedResults.Accepted((string?)null);
    }

    /// <summary>Sends the dead-letter topic's records back through processing; answers when they are back in the events topic.</summary>
    public static async Task<Results<Ok<DeadLetterReprocessResult>, ProblemHttpResult>> ReprocessDeadLetters(DeadLetterReprocessor reprocessor, CancellationToken cancellationToken)
    {
        try
        {
            return await reprocessor.ReprocessAsync(cancellationToken) is { } result
                ? TypedResults.Ok(result)
                : TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Dead letters are being reprocessed already",
                    detail: "Wait for the current run to finish; it answers with the number of records it sent back.");
        }
        catch (KafkaException ex)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Kafka did not take part in the reprocessing",
                detail: $"{ex.Error.Reason}. Nothing was marked reprocessed; try again.");
        }
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
        if (query.Ids is not { Count: > 0 and <= MaxIdsPerQuery } ids || ids.Any(string.IsNullOrEmpty))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["ids"] = [$"Give between 1 and {MaxIdsPerQuery} ids, none of them null or empty."],
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
