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
}
