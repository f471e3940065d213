using Microsoft.AspNetCore.Mvc.Testing;

namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>
/// Limits that would get in the way of the shared AppHost's other tests, checked on an API
/// hosted in the test process with its own settings, writing to the same real broker.
/// </summary>
[Trait("Category", "EndToEnd")]
[Collection(SharedAppHost.Name)]
public sealed class RateLimitTests(AppHostFixture fixture)
{
    private const string Key = "rate-limit-test-key-0123456789";

    private WebApplicationFactory<KafkaIngestion.Api.IngestionGate> Api(int perSecond, int burst) =>
        new WebApplicationFactory<KafkaIngestion.Api.IngestionGate>().WithWebHostBuilder(host => host
            .UseSetting("ConnectionStrings:kafka", fixture.KafkaConnectionString)
            .UseSetting("Ingestion:ApiKeys:0", Key)
            .UseSetting("Ingestion:RateLimitPerSecond", perSecond.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .UseSetting("Ingestion:RateLimitBurst", burst.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public async Task AKeyOverItsRateGets429WithRetryAfter()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var factory = Api(perSecond: 2, burst: 3);
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", Key);

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 6; i++)
        {
            answers.Add(await client.PostAsJsonAsync("/register_event", new { type = "rate.limited" }, timeout.Token));
        }

        Assert.Equal(HttpStatusCode.Accepted, answers[0].StatusCode);
        var limited = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(limited);
        Assert.All(limited, a => Assert.True(a.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1)));
        Assert.All(limited, a => Assert.Equal("application/problem+json", a.Content.Headers.ContentType?.MediaType));
        answers.ForEach(a => a.Dispose());
    }

    [Fact]
    public async Task RateLimitingDoesNotApplyToHealthChecks()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var factory = Api(perSecond: 1, burst: 1);
        using var client = factory.CreateClient();

        for (var i = 0; i < 5; i++)
        {
            using var response = await client.GetAsync("/alive", timeout.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }
}
