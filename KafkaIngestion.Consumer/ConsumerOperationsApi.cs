using Confluent.Kafka;
using KafkaIngestion.ConsumerApi;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KafkaIngestion.Consumer;

/// <summary>What an operator asks the consumer to do: replay its partitions, reprocess dead letters.</summary>
internal static class ConsumerOperationsApi
{
    public static IEndpointRouteBuilder MapConsumerOperationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("").WithTags("Operations");
        api.MapPost("/replay", Replay).WithName("Replay");
        api.MapPost("/dead-letters/reprocess", ReprocessDeadLetters).WithName("ReprocessDeadLetters");
        return app;
    }

    /// <summary>Asks the consume loop to read this member's partitions again; answered at once.</summary>
    public static Results<Accepted, ValidationProblem> Replay(ReplayRequest? request, ReplayRequests replays)
    {
        var from = request?.From ?? ReplayRequest.Earliest;
        if (from == ReplayRequest.Earliest)
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
}
