using System.Diagnostics;

namespace KafkaIngestion.Tests.EndToEnd;

[Trait("Category", "EndToEnd")]
[Collection(SharedAppHost.Name)]
public sealed class BackpressureTests(AppHostFixture fixture)
{
    /// <summary>The API's default publish deadline (Ingestion:PublishTimeout).</summary>
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task WhileTheBrokerIsDownIngestionAnswers503WithRetryAfterAndRecoversByItself()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var down = await fixture.App.ResourceCommands.ExecuteCommandAsync("kafka", "broker-down", timeout.Token);
        Assert.True(down.Success, down.Message);
        try
        {
            var elapsed = Stopwatch.StartNew();
            using var response = await fixture.Api.PostAsJsonAsync("/register_event", new { type = "during.outage" }, timeout.Token);
            elapsed.Stop();
            var problem = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(timeout.Token);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.NotNull(response.Headers.RetryAfter);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            // The id the API assigned comes back: the event may have reached the broker, and only a
            // resend with the same id is harmless.
            Assert.True(Guid.TryParse(Assert.Single(problem.GetProperty("ids").EnumerateArray()).GetString(), out _));
            // Never hangs: the answer comes by the publish deadline (plus scheduling slack).
            Assert.InRange(elapsed.Elapsed, TimeSpan.Zero, PublishTimeout + TimeSpan.FromSeconds(5));
        }
        finally
        {
            await fixture.App.ResourceCommands.ExecuteCommandAsync("kafka", "broker-up", CancellationToken.None);
        }

        // Recovers without a restart: the same producer delivers again once the broker is back.
        var status = await Waiting.UntilAsync(
            async ct =>
            {
                using var response = await fixture.Api.PostAsJsonAsync("/register_event", new { type = "after.outage" }, ct);
                return response.StatusCode;
            },
            code => code == HttpStatusCode.Accepted,
            TimeSpan.FromSeconds(60),
            "the API to accept events again after the broker came back");
        Assert.Equal(HttpStatusCode.Accepted, status);
    }
}
