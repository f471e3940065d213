using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using KafkaIngestion.IngestGrpc;
using KafkaIngestion.ServiceDefaults.Kafka;

namespace KafkaIngestion.Tests.Api;

/// <summary>
/// Spans of gRPC ingestion: a unary call's send span is a child of its request, as over HTTP; a
/// stream's events each get a trace of their own linked to the stream, so a long stream is
/// sampled per event and not recorded whole.
/// </summary>
[Collection(KafkaIngestion.Tests.ServiceDefaults.ActivityListeners.Name)]
public sealed class GrpcTracingTests
{
    [Fact]
    public async Task EachStreamedEventIsATraceOfItsOwnLinkedToTheStreamWithWhereItLanded()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is KafkaTelemetry.ActivitySourceName or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var api = await InProcessApi.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var stream = new Ingest.IngestClient(api.Channel()).PublishStream(cancellationToken: timeout.Token);
        var ids = Enumerable.Range(0, 3).Select(i => $"traced-{Guid.NewGuid():N}").ToList();
        foreach (var id in ids)
        {
            await stream.RequestStream.WriteAsync(new CloudEvent { Id = id, Source = "/tests", SpecVersion = "1.0", Type = "grpc.traced" }, timeout.Token);
        }

        await stream.RequestStream.CompleteAsync();
        var answers = new List<EventResult>();
        await foreach (var message in stream.ResponseStream.ReadAllAsync(timeout.Token))
        {
            answers.AddRange(message.Results);
        }

        var streamSpan = await EventuallyAsync(() => spans.SingleOrDefault(s => s.Kind == ActivityKind.Server && s.DisplayName.Contains("PublishStream", StringComparison.Ordinal)));
        var sends = spans.Where(s => s.Kind == ActivityKind.Producer && s.Links.Any(l => l.Context.SpanId == streamSpan.SpanId)).ToList();
        Assert.Equal(3, sends.Count);
        Assert.Equal(3, sends.Select(s => s.TraceId).Distinct().Count());
        Assert.DoesNotContain(sends, s => s.TraceId == streamSpan.TraceId);
        Assert.Equal(answers.Select(a => a.Accepted.Offset).Order(), sends.Select(s => (long)s.GetTagItem("messaging.kafka.offset")!).Order());
    }

    private static async Task<T> EventuallyAsync<T>(Func<T?> read)
    {
        for (var i = 0; i < 100; i++)
        {
            if (read() is { } value)
            {
                return value;
            }

            await Task.Delay(100);
        }

        Assert.Fail("The span did not end in time.");
        return default!;
    }
}
