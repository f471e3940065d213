using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using KafkaIngestion.ServiceDefaults.Kafka;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KafkaIngestion.Api;

/// <summary>What <c>GET /get_status</c> answers. Carries no configuration and no secrets.</summary>
internal sealed record ApiStatus(
    string Status,
    string Version,
    double UptimeSeconds,
    string Topic,
    BrokerStatus Broker,
    ProducerStatus Producer,
    EventCounts Events);

internal sealed record BrokerStatus(bool Reachable, int Brokers, string? Error);

/// <param name="QueuedMessages">Messages librdkafka holds, waiting to be sent or acknowledged.</param>
/// <param name="InFlightEvents">Events whose requests are waiting for the broker's acknowledgement.</param>
internal sealed record ProducerStatus(long QueuedMessages, long QueuedBytes, long InFlightEvents);

internal sealed record EventCounts(
    long Accepted,
    long Rejected,
    long Failed,
    IReadOnlyDictionary<string, long> RejectedByReason,
    IReadOnlyDictionary<string, long> FailedByReason);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ApiStatus))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;

/// <summary>The original design's status endpoint.</summary>
internal static class StatusApi
{
    private static readonly string Version =
        typeof(StatusApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public static IEndpointRouteBuilder MapStatusApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("").WithTags("Status")
            .MapGet("/get_status", GetStatus)
            .WithName("GetStatus")
            .WithSummary("Broker reachability, producer queue, and event counts since start. Holds no configuration or secrets.");

        return app;
    }

    public static async Task<Ok<ApiStatus>> GetStatus(
        [FromKeyedServices(KafkaClientExtensions.ProducerProbeKey)] KafkaBrokerProbe probe,
        EventPublisher publisher,
        IngestionCounters counters,
        [FromKeyedServices(KafkaClientExtensions.ProducerProbeKey)] KafkaStatistics statistics,
        CancellationToken cancellationToken)
    {
        var broker = await probe.CheckAsync(cancellationToken);
        var queue = statistics.Current;
        var rejected = counters.Rejected;
        var failed = counters.Failed;
        return TypedResults.Ok(new ApiStatus(
            Status: broker.Reachable ? "ok" : "degraded",
            Version: Version,
            UptimeSeconds: Math.Round(counters.Uptime.TotalSeconds, 1),
            Topic: publisher.Topic,
            Broker: new BrokerStatus(broker.Reachable, broker.BrokerCount, broker.Error),
            Producer: new ProducerStatus(queue?.QueueMessages ?? 0, queue?.QueueBytes ?? 0, counters.InFlight),
            Events: new EventCounts(counters.Accepted, rejected.Values.Sum(), failed.Values.Sum(), rejected, failed)));
    }
}
