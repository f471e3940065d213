using System.Text.Json;
using System.Text.Json.Serialization;
using KafkaIngestion.ConsumerApi;

namespace KafkaIngestion.Api.WebConsole;

/// <summary>
/// What the web console shows, pushed once a second on <c>/console/stream</c>. Holds no
/// configuration and no secrets: the stream is as open as <c>/get_status</c>. Rates are events
/// per second since the previous snapshot; null when there is no previous reading to compare.
/// </summary>
internal sealed record ConsoleSnapshot(DateTimeOffset At, BrokerView Broker, ApiView Api, ConsumerView Consumer);

/// <param name="Mode">container, embedded or external; null when the API runs without the AppHost.</param>
/// <param name="Reachable">Null until the first metadata request has answered.</param>
/// <param name="Partitions">Partition count of <paramref name="Topic"/>, from the cluster's metadata.</param>
internal sealed record BrokerView(string? Mode, bool? Reachable, int Brokers, string Topic, int? Partitions, string? Error);

internal sealed record ApiView(
    double? AcceptedPerSecond,
    double? RejectedPerSecond,
    double? FailedPerSecond,
    long Accepted,
    long Rejected,
    long Failed,
    long InFlight);

/// <param name="Reachable">False when the consumer did not answer within Console:PollTimeout (down, starting, or not configured).</param>
/// <param name="Member">The group member that answered: with several replicas, the figures are that replica's.</param>
/// <param name="Lag">Records behind, summed over <paramref name="Partitions"/>; null while none is known.</param>
internal sealed record ConsumerView(
    bool Reachable,
    string? Error,
    string? State,
    string? Member,
    double? ProcessedPerSecond,
    long? Processed,
    long? Duplicates,
    long? DeadLettered,
    long? GapEvents,
    long? Lag,
    IReadOnlyList<PartitionLagView> Partitions,
    IReadOnlyList<RecentEvent> Recent);

internal sealed record PartitionLagView(int Partition, long? Lag);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ConsoleSnapshot))]
internal sealed partial class ConsoleJsonContext : JsonSerializerContext;
