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
    EventCounts Events);

internal sealed record BrokerStatus(bool Reachable, int Brokers, string? Error);

internal sealed record EventCounts(long Accepted, long Rejected, long Failed);

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
            .WithSummary("Broker reachability, topic and event counts since start.");

        return app;
    }

    public static async Task<Ok<ApiStatus>> GetStatus(
        [FromKeyedServices(KafkaClientExtensions.ProducerProbeKey)] KafkaBrokerProbe probe,
        EventPublisher publisher,
        IngestionCounters counters,
        CancellationToken cancellationToken)
    {
        var broker = await probe.CheckAsync(cancellationToken);
        return TypedResults.Ok(new ApiStatus(
            Status: broker.Reachable ? "ok" : "degraded",
            Version: Version,
            UptimeSeconds: Math.Round(counters.Uptime.TotalSeconds, 1),
            Topic: publisher.Topic,
            Broker: new BrokerStatus(broker.Reachable, broker.BrokerCount, broker.Error),
            Events: new EventCounts(counters.Accepted, counters.Rejected, counters.Failed)));
    }
}
