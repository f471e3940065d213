using System.Text.Json;

namespace KafkaIngestion.Tests.EndToEnd;

[Trait("Category", "EndToEnd")]
[Collection(SharedAppHost.Name)]
public sealed class OpenApiTests(AppHostFixture fixture)
{
    [Fact]
    public async Task TheOpenApiDocumentDescribesEveryEndpoint()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var document = await fixture.AnonymousApi.GetFromJsonAsync<JsonElement>("/openapi/v1.json", timeout.Token);

        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/register_event", out var registerEvent));
        Assert.True(paths.TryGetProperty("/events", out var events));
        Assert.True(paths.TryGetProperty("/get_status", out _));
        Assert.True(registerEvent.GetProperty("post").GetProperty("responses").TryGetProperty("202", out _));
        var batchResponses = events.GetProperty("post").GetProperty("responses");
        Assert.True(batchResponses.TryGetProperty("207", out _));
        Assert.True(batchResponses.TryGetProperty("413", out _));
    }

    [Fact]
    public async Task ABrowsableApiReferenceIsServedInDevelopment()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        using var response = await fixture.AnonymousApi.GetAsync("/scalar", timeout.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
    }
}
