namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>Each event stored once, whatever is sent twice and however long the store is away.</summary>
public abstract class ExactlyOnceStoreScenarios(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [StoreFact]
    public async Task TheSameEventSentTwiceIsStoredOnceAndCountedAsADuplicate()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var id = $"twice-{Guid.NewGuid():N}";
        var duplicatesBefore = (await fixture.ConsumerStatusAsync(timeout.Token)).Duplicates;

        for (var i = 0; i < 2; i++)
        {
            using var response = await fixture.Api.PostAsJsonAsync("/register_event", new { id, type = "test.twice" }, timeout.Token);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        await Waiting.UntilAsync(fixture.ConsumerStatusAsync, s => s.Duplicates > duplicatesBefore, Timeout,
            "the consumer to see the second copy");
        Assert.Equal(1, (await fixture.QueryProcessedAsync([id], timeout.Token))[id]);
    }

    [StoreFact]
    public async Task WhileTheStoreIsUnavailableNothingIsLostAndProcessingResumes()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var ids = Enumerable.Range(0, 100).Select(i => $"store-down-{Guid.NewGuid():N}").ToList();
        var retriesBefore = (await fixture.ConsumerStatusAsync(timeout.Token)).StoreRetries;

        await using (await fixture.Store.BeginOutageAsync(timeout.Token))
        {
            foreach (var id in ids)
            {
                using var response = await fixture.Api.PostAsJsonAsync("/register_event", new { id, type = "test.store.down" }, timeout.Token);
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            }

            var retrying = await Waiting.UntilAsync(fixture.ConsumerStatusAsync, s => s.StoreRetries > retriesBefore, Timeout,
                "the consumer to find the store unavailable");
            Assert.Equal("retrying", retrying.State);
        }

        var stored = await Waiting.UntilAsync(ct => fixture.QueryProcessedAsync(ids, ct), times => times.Values.All(t => t == 1), Timeout,
            "every event accepted during the outage to be stored");
        Assert.All(ids, id => Assert.Equal(1, stored[id]));
        Assert.Equal("running", (await fixture.ConsumerStatusAsync(timeout.Token)).State);
    }
}

[Trait("Category", "EndToEnd")]
[Collection(SharedAppHost.Name)]
public sealed class ExactlyOnceStoreTests(AppHostFixture fixture) : ExactlyOnceStoreScenarios(fixture);

[Trait("Category", "EndToEnd")]
[Collection(PostgresAppHost.Name)]
public sealed class PostgresExactlyOnceStoreTests(PostgresAppHostFixture fixture) : ExactlyOnceStoreScenarios(fixture);
