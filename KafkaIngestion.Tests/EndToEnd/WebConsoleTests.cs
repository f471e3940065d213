using System.Net.ServerSentEvents;
using System.Text.Json;

namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>The web console's server side through the real AppHost: the page, its live feed, and the dashboard's link to it.</summary>
[Trait("Category", "EndToEnd")]
[Collection(SharedAppHost.Name)]
public sealed class WebConsoleTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    /// <summary>The "Web console" link the dashboard shows on the api resource.</summary>
    public static string WebConsoleUrl(AppHostFixture fixture)
    {
        Assert.True(fixture.App.ResourceNotifications.TryGetCurrentState("api", out var api), "the api resource has no state");
        return Assert.Single(api.Snapshot.Urls, url => url.DisplayProperties.DisplayName == "Web console").Url;
    }

    [Fact]
    public async Task ThePageIsServedAtTheRootWithoutTheApiKey()
    {
        using var timeout = new CancellationTokenSource(Timeout);

        using var page = await fixture.AnonymousApi.GetAsync("/", timeout.Token);
        var html = await page.Content.ReadAsStringAsync(timeout.Token);
        var script = await fixture.AnonymousApi.GetStringAsync("/console.js", timeout.Token);
        var styles = await fixture.AnonymousApi.GetStringAsync("/console.css", timeout.Token);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.True(page.Headers.CacheControl?.NoCache, "the page is revalidated, so a new API never runs an old script");
        Assert.Contains("<title>KafkaIngestion console</title>", html, StringComparison.Ordinal);
        // Everything is served by the API itself: no CDN, nothing fetched from elsewhere.
        Assert.DoesNotMatch("(src|href)=\"(https?:)?//", html);
        Assert.DoesNotContain("://", script, StringComparison.Ordinal);
        foreach (var served in new[] { html, script, styles })
        {
            Assert.DoesNotContain(fixture.ApiKey, served, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TheDashboardLinksToTheWebConsoleWithTheKeyInTheFragment()
    {
        var url = new Uri(WebConsoleUrl(fixture));

        Assert.Equal($"http://localhost:{fixture.ApiPort}/", url.GetLeftPart(UriPartial.Path));
        // The fragment never leaves the browser: the key is not in any request the page makes.
        Assert.Equal($"#key={fixture.ApiKey}", url.Fragment);
    }

    [Fact]
    public async Task TheStreamSendsTheBrokerTheApiAndTheConsumerOnceASecondWithTheNewestEvents()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        // A plain client: the stream stays open for as long as the test reads it.
        using var http = new HttpClient { BaseAddress = fixture.AnonymousApi.BaseAddress, Timeout = Timeout };
        using var response = await http.GetAsync("/console/stream", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var accepted = await fixture.Api.PostAsJsonAsync("/register_event", new { type = "test.console.stream", key = "console" }, timeout.Token);
        var id = (await accepted.Content.ReadFromJsonAsync<JsonElement>(timeout.Token)).GetProperty("id").GetString();

        var snapshots = new List<JsonElement>();
        await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(timeout.Token))
        {
            Assert.Equal("snapshot", item.EventType);
            var snapshot = JsonDocument.Parse(item.Data).RootElement.Clone();
            snapshots.Add(snapshot);
            var recent = snapshot.GetProperty("consumer").GetProperty("recent");
            if (snapshots.Count >= 5 && recent.EnumerateArray().Any(e => e.GetProperty("id").GetString() == id))
            {
                break;
            }
        }

        var last = snapshots[^1];
        var broker = last.GetProperty("broker");
        Assert.Equal("embedded", broker.GetProperty("mode").GetString());
        Assert.True(broker.GetProperty("reachable").GetBoolean());
        Assert.Equal(6, broker.GetProperty("partitions").GetInt32());
        Assert.Equal("events", broker.GetProperty("topic").GetString());
        Assert.True(last.GetProperty("api").GetProperty("accepted").GetInt64() >= 1);
        var consumer = last.GetProperty("consumer");
        Assert.True(consumer.GetProperty("reachable").GetBoolean());
        Assert.Equal("running", consumer.GetProperty("state").GetString());
        Assert.Equal(6, consumer.GetProperty("partitions").GetArrayLength());
        var mine = consumer.GetProperty("recent").EnumerateArray().Single(e => e.GetProperty("id").GetString() == id);
        Assert.Equal("test.console.stream", mine.GetProperty("type").GetString());
        Assert.Equal("console", mine.GetProperty("key").GetString());
        // Once a second on average. The first snapshot may be the feed's latest, handed over at once,
        // and each one is taken when its polls answer, so single intervals vary.
        var ticks = snapshots.Count - 2;
        var mean = (snapshots[^1].GetProperty("at").GetDateTimeOffset() - snapshots[1].GetProperty("at").GetDateTimeOffset()) / ticks;
        Assert.InRange(mean, TimeSpan.FromSeconds(0.6), TimeSpan.FromSeconds(2));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(51)]
    public async Task TheConsumerRefusesToListMoreRecentEventsThanItKeeps(int limit)
    {
        using var timeout = new CancellationTokenSource(Timeout);

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => fixture.ConsumerApi.GetRecentEventsAsync(limit, timeout.Token));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
    }
}
