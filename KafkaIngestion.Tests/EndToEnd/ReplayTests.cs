namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>Reading the topic again is harmless: the store keeps each event once.</summary>
public abstract class ReplayScenarios(AppHostFixture fixture)
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    protected AppHostFixture Fixture => fixture;

    [StoreFact]
    public async Task ReplayFromTheDashboardReadsEverythingAgainWithoutStoringAnythingTwice()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var id = $"replay-{Guid.NewGuid():N}";
        using (var response = await fixture.Api.PostAsJsonAsync("/register_event", new { id, type = "test.replay" }, timeout.Token))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        await Waiting.UntilAsync(ct => fixture.QueryProcessedAsync([id], ct), t => t[id] == 1, Timeout, "the event to be stored");
        var before = await fixture.ConsumerStatusAsync(timeout.Token);

        var result = await fixture.App.ResourceCommands.ExecuteCommandAsync("consumer", "replay", timeout.Token);
        Assert.True(result.Success, result.Message);

        // Everything the broker holds comes round again, so at least the event above does.
        var after = await Waiting.UntilAsync(fixture.ConsumerStatusAsync,
            s => s.GetProperty("duplicates").GetInt64() > before.GetProperty("duplicates").GetInt64(), Timeout,
            "replayed events to arrive as duplicates");
        Assert.True(after.GetProperty("processed").GetInt64() > before.GetProperty("processed").GetInt64());
        Assert.Equal(1, (await fixture.QueryProcessedAsync([id], timeout.Token))[id]);
    }
}

/// <summary>The replay scenario on SQLite, and the consumer's refusals of requests it cannot serve (whatever the store).</summary>
[Collection(SharedAppHost.Name)]
public sealed class ReplayTests(AppHostFixture fixture) : ReplayScenarios(fixture)
{
    [Fact]
    public async Task AReplayFromSomethingThatIsNotATimeIsRefused()
    {
        using var timeout = new CancellationTokenSource(Timeout);

        using var response = await Fixture.Consumer.PostAsJsonAsync("/replay", new { from = "last tuesday" }, timeout.Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task AQueryWithANullIdIsRefused()
    {
        using var timeout = new CancellationTokenSource(Timeout);

        using var response = await Fixture.Consumer.PostAsJsonAsync("/processed/query", new { ids = new string?[] { "a", null } }, timeout.Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}

[Collection(PostgresAppHost.Name)]
public sealed class PostgresReplayTests(PostgresAppHostFixture fixture) : ReplayScenarios(fixture);
