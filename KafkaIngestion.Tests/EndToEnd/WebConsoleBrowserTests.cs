using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>
/// The web console as a person uses it: Debian's Chromium, driven by Playwright, opens the
/// dashboard's "Web console" link on the real AppHost, sends an event through the form, starts a
/// burst and watches the charts move. A screenshot is kept as a test artifact.
/// </summary>
[Trait("Category", "EndToEnd")]
[Collection(SharedAppHost.Name)]
public sealed class WebConsoleBrowserTests(AppHostFixture fixture, ITestOutputHelper output)
{
    public const string ArtifactsVariable = "KAFKAINGESTION_TEST_ARTIFACTS";

    private const float WaitMs = 60_000;

    [ChromiumFact]
    public async Task AnEventSentThroughTheFormIsAnsweredAndABurstMovesTheCharts()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumFactAttribute.RequiredExecutablePath,
            Args = ChromiumFactAttribute.LaunchArguments,
            Timeout = WaitMs,
        });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1600, Height = 1000 } });
        page.SetDefaultTimeout(WaitMs);
        SetDefaultExpectTimeout(WaitMs);
        var pageErrors = new List<string>();
        page.PageError += (_, error) => pageErrors.Add(error);

        await page.GotoAsync(WebConsoleUrl());

        // The key came in the fragment, is kept by the page, and left the address bar.
        Assert.DoesNotContain("key=", page.Url, StringComparison.Ordinal);
        await Expect(page.Locator("#api-key")).ToHaveValueAsync(fixture.ApiKey);
        await Expect(page.Locator("#pill-stream")).ToHaveTextAsync("live");
        await Expect(page.Locator("#banner-embedded")).ToBeVisibleAsync();
        await Expect(page.Locator("#k-partitions")).ToHaveTextAsync("6");
        await Expect(page.Locator("#k-health")).ToContainTextAsync("healthy");
        await Expect(page.Locator("#pill-consumer")).ToHaveTextAsync("consumer running");

        // One event through the form: the API's exact answer, then the consumer stores it.
        await page.Locator("#send-form [name=type]").FillAsync("test.console.form");
        await page.Locator("#send-button").ClickAsync();
        await Expect(page.Locator("#answer-status")).ToHaveTextAsync(new Regex("^202 Accepted"));
        var id = await page.Locator("dd[data-field=id]").InnerTextAsync();
        Assert.True(Guid.TryParse(id, out _), $"the answer shows the assigned id, not '{id}'");
        Assert.InRange(int.Parse(await page.Locator("dd[data-field=partition]").InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture), 0, 5);
        Assert.True(long.Parse(await page.Locator("dd[data-field=offset]").InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture) >= 0);
        await Expect(page.Locator("#recent-rows tr.mine")).ToContainTextAsync(id);

        // A burst: the counters count every answer, and the charts and table move.
        await page.Locator("#burst-count").FillAsync("400");
        await page.Locator("#burst-rate").FillAsync("100");
        await page.Locator("#burst-start").ClickAsync();
        await page.WaitForFunctionAsync("() => Number(document.getElementById('v-accepted').textContent.replace(/,/g, '')) > 0", null, new() { Timeout = WaitMs });
        await Expect(page.Locator("#burst-state")).ToContainTextAsync(new Regex("^(done|slower than asked)"));
        await Expect(page.Locator("#burst-accepted")).ToHaveTextAsync("400");
        await Expect(page.Locator("#burst-failed")).ToHaveTextAsync("0");
        await Expect(page.Locator("#burst-codes")).ToHaveTextAsync("202 × 400");
        await page.WaitForFunctionAsync("() => Number(document.getElementById('c-accepted').dataset.max) > 0", null, new() { Timeout = WaitMs });
        await page.WaitForFunctionAsync("() => Number(document.getElementById('c-processed').dataset.max) > 0", null, new() { Timeout = WaitMs });
        await Expect(page.Locator("#recent-rows")).ToContainTextAsync("console.burst");
        Assert.True(await page.Locator("#recent-rows tr").CountAsync() >= 10, "the table of recent events fills up");

        // The same in CloudEvents batches: every event of every batch is counted.
        await page.Locator("#burst-mode").SelectOptionAsync("batch");
        await page.Locator("#burst-count").FillAsync("1000");
        await page.Locator("#burst-rate").FillAsync("500");
        await page.Locator("#burst-start").ClickAsync();
        await Expect(page.Locator("#burst-state")).ToContainTextAsync(new Regex("^(done|slower than asked)"));
        await Expect(page.Locator("#burst-accepted")).ToHaveTextAsync("1,000");
        await Expect(page.Locator("#burst-failed")).ToHaveTextAsync("0");
        await Expect(page.Locator("#burst-codes")).ToHaveTextAsync(new Regex("^202 × [0-9]+$"));

        // Gzipped by the browser (CompressionStream), decoded by the API: the same answers.
        var acceptedBefore = await AcceptedByApiAsync();
        await page.Locator("#burst-gzip").CheckAsync();
        await page.Locator("#burst-start").ClickAsync();
        await Expect(page.Locator("#burst-state")).ToContainTextAsync(new Regex("^(done|slower than asked)"));
        await Expect(page.Locator("#burst-accepted")).ToHaveTextAsync("1,000");
        await Expect(page.Locator("#burst-failed")).ToHaveTextAsync("0");
        await Expect(page.Locator("#burst-codes")).ToHaveTextAsync(new Regex("^202 × [0-9]+$"));
        await Expect(page.Locator("#burst-bytes")).ToHaveTextAsync(new Regex(@"^[0-9]+% gzip$"));
        Assert.True(await AcceptedByApiAsync() >= acceptedBefore + 1_000, "the API counted the gzipped events as accepted");

        var screenshot = ScreenshotPath();
        await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
        output.WriteLine($"Screenshot: {screenshot}");
        Assert.Empty(pageErrors);
    }

    private string WebConsoleUrl() => WebConsoleTests.WebConsoleUrl(fixture);

    private async Task<long> AcceptedByApiAsync()
    {
        using var status = await fixture.AnonymousApi.GetFromJsonAsync<System.Text.Json.JsonDocument>("/get_status");
        return status!.RootElement.GetProperty("events").GetProperty("accepted").GetInt64();
    }

    /// <summary>Under <c>KAFKAINGESTION_TEST_ARTIFACTS</c> (.ci/run sets TestResults/artifacts), else beside the test assembly.</summary>
    private static string ScreenshotPath()
    {
        var directory = Environment.GetEnvironmentVariable(ArtifactsVariable) is { Length: > 0 } configured
            ? configured
            : Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, "web-console.png");
    }
}
