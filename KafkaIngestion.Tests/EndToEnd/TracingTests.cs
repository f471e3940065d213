using System.Collections.Concurrent;
using System.Diagnostics;
using KafkaIngestion.ConsumerApi;
using KafkaIngestion.ServiceDefaults.Kafka;
using Microsoft.AspNetCore.Mvc.Testing;

namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>
/// The API and a consumer run in the test process (against the shared AppHost's broker), so a
/// listener sees every span both make, as an exporter would.
/// </summary>
[Trait("Category", "EndToEnd")]
[Collection(SharedAppHost.Name)]
public sealed class TracingTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task OneEventMakesOneTraceFromTheHttpRequestThroughKafkaToItsStorageAndMovesTheMetrics()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is KafkaTelemetry.ActivitySourceName or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var measured = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        using var meters = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name is "KafkaIngestion.Api" or "KafkaIngestion.Consumer")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<double>((instrument, _, _, _) => measured.AddOrUpdate(instrument.Name, 1, (_, n) => n + 1));
        meters.SetMeasurementEventCallback<long>((instrument, _, _, _) => measured.AddOrUpdate(instrument.Name, 1, (_, n) => n + 1));
        meters.SetMeasurementEventCallback<int>((instrument, _, _, _) => measured.AddOrUpdate(instrument.Name, 1, (_, n) => n + 1));
        meters.Start();
        var storeDirectory = Directory.CreateTempSubdirectory("tracing-test-");
        const string Key = "tracing-test-key-0123456789abcdef";

        await using var api = new WebApplicationFactory<KafkaIngestion.Api.IngestionGate>().WithWebHostBuilder(host => host
            .UseSetting("ConnectionStrings:kafka", fixture.KafkaConnectionString)
            .UseSetting("Ingestion:ApiKeys:0", Key));
        await using var consumer = new WebApplicationFactory<KafkaIngestion.Consumer.ConsumerOptions>().WithWebHostBuilder(host => host
            .UseSetting("ConnectionStrings:kafka", fixture.KafkaConnectionString)
            // A group of its own that starts at the end: it sees this test's event, not the topic's past.
            .UseSetting("Kafka:Consumer:Config:group.id", $"tracing-test-{Guid.NewGuid():N}")
            .UseSetting("Kafka:Consumer:Config:auto.offset.reset", "latest")
            .UseSetting("Consumer:StorePath", Path.Combine(storeDirectory.FullName, "events.db")));
        using var consumerClient = consumer.CreateClient();
        using var apiClient = api.CreateClient();
        apiClient.DefaultRequestHeaders.Add("X-Api-Key", Key);
        // Until the new group has found the end of its partitions, an event may land before it;
        // warm-up events go until one is processed, and then the traced one.
        await Waiting.UntilAsync(async ct =>
        {
            using var warmUp = await apiClient.PostAsJsonAsync("/register_event", new { type = "test.warm-up" }, ct);
            await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
            return await new ConsumerApiClient(consumerClient).GetStatusAsync(ct);
        }, s => s.Processed > 0, Timeout, "the consumer to process a warm-up event");
        await Task.Delay(TimeSpan.FromSeconds(1), timeout.Token); // the warm-up's spans end
        var id = $"traced-{Guid.NewGuid():N}";
        using (var response = await apiClient.PostAsJsonAsync("/register_event", new { id, type = "test.traced" }, timeout.Token))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        // The traced event's send span is the last one, and the API's request span is its parent.
        var send = await Waiting.UntilAsync(_ => Task.FromResult(spans.LastOrDefault(s => s.DisplayName == "send events")),
            s => s?.GetTagItem("messaging.kafka.offset") is not null, Timeout, "the send span");
        var request = spans.Single(s => s.SpanId == send!.ParentSpanId);
        Assert.Equal(ActivityKind.Server, request.Kind);
        Assert.Equal(ActivityKind.Producer, send!.Kind);
        Assert.Equal("kafka", send.GetTagItem("messaging.system"));
        Assert.NotNull(send.GetTagItem("messaging.kafka.offset"));

        var process = await Waiting.UntilAsync(_ => Task.FromResult(spans.FirstOrDefault(s => s.DisplayName == "process events" && s.TraceId == request.TraceId)),
            s => s is not null, Timeout, "the consumer's span in the same trace");
        Assert.Equal(send.SpanId, process!.ParentSpanId);
        Assert.Equal(ActivityKind.Consumer, process.Kind);
        Assert.Equal("process", process.GetTagItem("messaging.operation.type"));
        Assert.Equal(1, process.GetTagItem("kafkaingestion.events.stored"));

        // The same journey in metrics: publish latency at the API, batch and end-to-end latency
        // at the consumer, and the observable counters when collected.
        meters.RecordObservableInstruments();
        foreach (var name in new[] { "kafkaingestion.publish.duration", "kafkaingestion.request.events", "kafkaingestion.events.accepted",
            "kafkaingestion.consumer.batch.duration", "kafkaingestion.event.latency", "kafkaingestion.consumer.events.processed", "kafkaingestion.consumer.lag",
            // librdkafka's statistics, reported once a second by both clients since they started.
            "kafkaingestion.producer.transmitted.messages", "kafkaingestion.kafka.request.retries", "kafkaingestion.consumer.rebalances" })
        {
            Assert.True(measured.ContainsKey(name), $"no measurement of {name}; seen: {string.Join(", ", measured.Keys)}");
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        storeDirectory.Delete(recursive: true);
    }
}
