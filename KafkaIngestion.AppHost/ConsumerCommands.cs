using System.Net;
using KafkaIngestion.ConsumerApi;

namespace Aspire.Hosting;

/// <summary>Dashboard commands on the consumer.</summary>
internal static class ConsumerCommands
{
    /// <summary>
    /// "Replay from the beginning": the consumer reads its partitions again from the earliest
    /// offset. Safe at any time: the store keeps each event id once, so replayed events only
    /// count as duplicates. (With several replicas, each replica's row has its own button.)
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithReplayCommand(this IResourceBuilder<ProjectResource> consumer) =>
        consumer.WithHttpCommand("/replay", "Replay from the beginning", commandName: "replay", commandOptions: new HttpCommandOptions
        {
            Description = "Read every partition again from the earliest offset the broker holds. Stored events are not stored twice.",
            IconName = "ArrowReset",
            ConfirmationMessage = "Replay every event the broker still holds? Events already stored are skipped as duplicates.",
            PrepareRequest = context =>
            {
                context.Request.Content = ConsumerApiClient.ReplayContent(ReplayRequest.Earliest);
                return Task.CompletedTask;
            },
        });

    /// <summary>
    /// "Replay from a time": the consumer reads its partitions again from the first event at or
    /// after the time given (the broker looks the offsets up; a replay only ever goes back). The
    /// consumer checks the time and the dashboard shows what was wrong with it.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithReplayFromTimeCommand(this IResourceBuilder<ProjectResource> consumer) =>
        consumer.WithHttpCommand("/replay", "Replay from a time", commandName: "replay-from-time", commandOptions: new HttpCommandOptions
        {
            Description = "Read every partition again from the first event at or after a time. Stored events are not stored twice. "
                + "Needs a broker that looks offsets up by time: the embedded one cannot, and replays nothing.",
            IconName = "History",
            Arguments =
            [
                new() { Name = "from", Label = "From (RFC 3339 time)", InputType = InputType.Text, Required = true,
                    Placeholder = "2026-11-30T17:00:00Z", Description = "Events the broker holds from this time on are read again." },
            ],
            PrepareRequest = context =>
            {
                context.Request.Content = ConsumerApiClient.ReplayContent(context.Arguments.Single(a => a.Name == "from").Value);
                return Task.CompletedTask;
            },
            GetCommandResult = async context => context.Response.StatusCode == HttpStatusCode.Accepted
                ? CommandResults.Success()
                : CommandResults.Failure(await CommandAnswers.DescribeAsync(context.Response, "detail", context.CancellationToken)),
        });

    /// <summary>
    /// "Reprocess dead letters": once the cause of the failures is fixed, the dead-letter topic's
    /// records go back to the events topic and through processing again.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithReprocessDeadLettersCommand(this IResourceBuilder<ProjectResource> consumer) =>
        consumer.WithHttpCommand("/dead-letters/reprocess", "Reprocess dead letters", commandName: "reprocess-dead-letters", commandOptions: new HttpCommandOptions
        {
            Description = "Send the records in events.dlq back to events. Ones that fail again are dead-lettered again; stored events are not stored twice.",
            IconName = "ArrowRepeatAll",
            ConfirmationMessage = "Send every record added to the dead-letter topic since the last reprocessing back through processing?",
        });
}
