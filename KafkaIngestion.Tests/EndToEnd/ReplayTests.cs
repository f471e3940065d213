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
            s => s.Duplicates > before.Duplicates, Timeout,
            "replayed events to arrive as duplicates");
        Assert.True(after.Processed > before.Processed);
        Assert.Equal(1, (await fixture.QueryProcessedAsync([id], timeout.Token))[id]);
    }
}

/// <summary>The replay scenario on SQLite, and the consumer's refusals of requests it cannot serve (whatever the store).</summary>
[Trait("Category", "EndToEnd")]
[Collection(SharedAppHost.Name)]
public sealed class ReplayTests(AppHostFixture fixture) : ReplayScenarios(fixture)
{
    [Fact]
    public async Task AReplayFromSomethingThatIsNotATimeIsRefused()
    {
        using var timeout = new CancellationTokenSource(Timeout);

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => Fixture.ConsumerApi.ReplayAsync("last tuesday", timeout.Token));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
    }

    [Fact]
    public async Task TheDashboardsReplayFromATimeShowsWhyATimeIsRefused()
    {
        using var timeout = new CancellationTokenSource(Timeout);

        var result = await Fixture.App.ResourceCommands.ExecuteCommandAsync("consumer", "replay-from-time",
            AppHostFixture.CommandArguments(("from", "last tuesday")), timeout.Token);

        Assert.False(result.Success);
        Assert.Contains("RFC 3339", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheDashboardsReplayFromATimeHandsTheTimeToTheConsumer()
    {
        using var timeout = new CancellationTokenSource(Timeout);

        // The embedded broker cannot look offsets up by time, so nothing is read again here;
        // the consumer took the time (a refused one fails, as above).
        var result = await Fixture.App.ResourceCommands.ExecuteCommandAsync("consumer", "replay-from-time",
            AppHostFixture.CommandArguments(("from", DateTimeOffset.UtcNow.AddMinutes(-5).ToString("O", System.Globalization.CultureInfo.InvariantCulture))), timeout.Token);

        Assert.True(result.Success, result.Message);
    }

    [Fact]
    public async Task AQueryWithANullIdIsRefused()
    {
        using var timeout = new CancellationTokenSource(Timeout);

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => Fixture.ConsumerApi.QueryProcessedAsync(["a", null!], includeDelays: false, timeout.Token));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
    }
}

[Trait("Category", "EndToEnd")]
[Collection(PostgresAppHost.Name)]
public sealed class PostgresReplayTests(PostgresAppHostFixture fixture) : ReplayScenarios(fixture);
