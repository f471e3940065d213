using System.Text.Json;

namespace KafkaIngestion.Tests.EndToEnd;

[Trait("Category", "EndToEnd")]
[Collection(SharedAppHost.Name)]
public sealed class ApiKeyTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("/register_event")]
    [InlineData("/events")]
    public async Task IngestionWithoutAnApiKeyIsRefusedWith401(string path)
    {
        using var timeout = new CancellationTokenSource(Timeout);

        using var response = await fixture.AnonymousApi.PostAsJsonAsync(path, new { type = "t" }, timeout.Token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("X-Api-Key", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task AWrongApiKeyIsRefusedWith401()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/register_event") { Content = JsonContent.Create(new { type = "t" }) };
        request.Headers.Add("X-Api-Key", fixture.ApiKey[..^1] + (fixture.ApiKey[^1] == 'a' ? 'b' : 'a'));

        using var response = await fixture.AnonymousApi.SendAsync(request, timeout.Token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/alive")]
    [InlineData("/get_status")]
    public async Task HealthAndStatusStayOpenWithoutAKey(string path)
    {
        using var timeout = new CancellationTokenSource(Timeout);

        using var response = await fixture.AnonymousApi.GetAsync(path, timeout.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task StatusDoesNotRevealTheApiKeyOrTheConnectionString()
    {
        using var timeout = new CancellationTokenSource(Timeout);

        var status = await fixture.AnonymousApi.GetStringAsync("/get_status", timeout.Token);

        Assert.DoesNotContain(fixture.ApiKey, status, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.KafkaConnectionString, status, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(status);
        Assert.True(document.RootElement.GetProperty("producer").TryGetProperty("inFlightEvents", out _));
    }
}
