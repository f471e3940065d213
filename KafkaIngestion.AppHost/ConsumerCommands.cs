using System.Net.Http.Json;

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
                context.Request.Content = JsonContent.Create(new { from = "earliest" });
                return Task.CompletedTask;
            },
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
