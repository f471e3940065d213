using Google.Rpc;
using Grpc.Core;
using KafkaIngestion.IngestGrpc;

namespace KafkaIngestion.Tests.Api;

/// <summary>The key's rate limit over gRPC: a token per unary call, a token per event of a stream.</summary>
public sealed class GrpcRateLimitTests
{
    [Fact]
    public async Task CallsAndStreamEventsOverTheKeysRateAreRefusedWithWhenToRetry()
    {
        await using var api = await InProcessApi.StartAsync(new Dictionary<string, string?>
        {
            ["Ingestion:RateLimitPerSecond"] = "2",
            ["Ingestion:RateLimitBurst"] = "3",
        });
        var client = new Ingest.IngestClient(api.Channel());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var refusals = new List<RpcException>();
        for (var i = 0; i < 6; i++)
        {
            try
            {
                await client.PublishAsync(Event($"limited-{i}"), cancellationToken: timeout.Token);
            }
            catch (RpcException ex)
            {
                refusals.Add(ex);
            }
        }

        Assert.NotEmpty(refusals);
        Assert.All(refusals, r => Assert.Equal(StatusCode.ResourceExhausted, r.StatusCode));
        Assert.All(refusals, r => Assert.True(r.GetRpcStatus()!.GetDetail<RetryInfo>().RetryDelay.ToTimeSpan() >= TimeSpan.FromSeconds(1)));

        using var stream = client.PublishStream(cancellationToken: timeout.Token);
        for (var i = 0; i < 6; i++)
        {
            await stream.RequestStream.WriteAsync(Event($"limited-stream-{i}"), timeout.Token);
        }

        await stream.RequestStream.CompleteAsync();
        var answers = new List<EventResult>();
        await foreach (var message in stream.ResponseStream.ReadAllAsync(timeout.Token))
        {
            answers.AddRange(message.Results);
        }

        Assert.Equal(6, answers.Count);
        var failed = answers.Where(a => a.OutcomeCase == EventResult.OutcomeOneofCase.Failed).ToList();
        Assert.NotEmpty(failed);
        Assert.All(failed, a => Assert.StartsWith("rate limited", a.Failed.Reason, StringComparison.Ordinal));
    }

    private static CloudEvent Event(string id) => new() { Id = id, Source = "/tests", SpecVersion = "1.0", Type = "grpc.limited" };
}
