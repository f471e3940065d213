using System.Text;
using System.Text.Json;

namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>A consumer killed without warning loses nothing it acknowledged and stores nothing twice.</summary>
public abstract class ConsumerCrashScenarios(AppHostFixture fixture)
{
    private const int Events = 50_000;
    private const int BatchSize = 500;
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [StoreFact]
    public async Task AConsumerKilledMidRunAndRestartedStoresEveryAcknowledgedEventExactlyOnce()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var run = Guid.NewGuid().ToString("N")[..8];
        var processedBefore = await ProcessedAsync(timeout.Token);

        // Events go in while the consumer works, so the kill lands in the middle of the run.
        var sending = Task.Run(() => SendAsync(run, timeout.Token), timeout.Token);
        await Waiting.UntilAsync(ProcessedAsync, p => p >= processedBefore + 10_000, Timeout, "the consumer to be part-way through the run");

        var processedAtKill = await ProcessedAsync(timeout.Token) - processedBefore;
        await fixture.KillAsync("consumer", timeout.Token);

        var acknowledged = await sending;
        Assert.Equal(Events, acknowledged.Count);
        Assert.True(processedAtKill < Events, $"the kill should land before the run was fully processed (it came after {processedAtKill})");

        await fixture.RestartAsync("consumer", timeout.Token);

        foreach (var chunk in acknowledged.Chunk(10_000))
        {
            var stored = await Waiting.UntilAsync(ct => fixture.QueryProcessedAsync(chunk, ct), t => t.Values.All(n => n == 1), Timeout,
                "every acknowledged event to be stored after the restart");
            Assert.All(chunk, id => Assert.Equal(1, stored[id]));
        }

        // Read from the store itself, past the consumer's own answers: every event of the run is there.
        Assert.Equal(Events, await fixture.Store.CountAsync($"crash-{run}-", timeout.Token));
    }

    private async Task<List<string>> SendAsync(string run, CancellationToken cancellationToken)
    {
        var acknowledged = new List<string>(Events);
        for (var batch = 0; batch < Events / BatchSize; batch++)
        {
            var body = "[" + string.Join(",", Enumerable.Range(batch * BatchSize, BatchSize).Select(i =>
                $$$"""{"specversion":"1.0","id":"crash-{{{run}}}-{{{i:D6}}}","source":"urn:test","type":"test.crash","partitionkey":"k{{{i % 64}}}","data":{"i":{{{i}}}}}""")) + "]";
            using var response = await fixture.Api.PostAsync("/events", new StringContent(body, Encoding.UTF8, "application/cloudevents-batch+json"), cancellationToken);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var result = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            acknowledged.AddRange(result.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()!));
            await Task.Delay(20, cancellationToken);
        }

        return acknowledged;
    }

    private async Task<long> ProcessedAsync(CancellationToken cancellationToken) =>
        (await fixture.ConsumerStatusAsync(cancellationToken)).Processed;
}

[Trait("Category", "EndToEnd")]
[Collection(SharedAppHost.Name)]
public sealed class ConsumerCrashTests(AppHostFixture fixture) : ConsumerCrashScenarios(fixture);

[Trait("Category", "EndToEnd")]
[Collection(PostgresAppHost.Name)]
public sealed class PostgresConsumerCrashTests(PostgresAppHostFixture fixture) : ConsumerCrashScenarios(fixture);
