using System.Text.Json;

namespace KafkaIngestion.Tests.EndToEnd;

[Trait("Category", "EndToEnd")]
[Collection(SharedAppHost.Name)]
public sealed class LoadGenTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task ARunStartedFromTheDashboardIsVerifiedWithNothingLostAndNothingDuplicated()
    {
        using var timeout = new CancellationTokenSource(Timeout);

        var result = await fixture.App.ResourceCommands.ExecuteCommandAsync("loadgen", "start-run",
            Arguments(("mode", "closed"), ("events", "3000"), ("concurrency", "16"), ("format", "simple"), ("batchSize", "1")), timeout.Token);
        Assert.True(result.Success, result.Message);

        var report = await ReportOfAsync(RunIdIn(result.Message), timeout.Token);
        Assert.Equal(3000, report.GetProperty("accepted").GetInt64());
        var verification = report.GetProperty("verification");
        Assert.Equal(3000, verification.GetProperty("stored").GetInt64());
        Assert.Equal(0, verification.GetProperty("lost").GetInt64());
        Assert.Equal(0, verification.GetProperty("duplicated").GetInt64());
        Assert.True(verification.GetProperty("endToEnd").GetProperty("p50").GetDouble() > 0);
        Assert.True(report.GetProperty("latency").GetProperty("p99").GetDouble() > 0);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("zstd")]
    public async Task ARunOfCompressedBatchesIsDecodedStoredAndVerified(string compress)
    {
        using var timeout = new CancellationTokenSource(Timeout);

        var result = await fixture.App.ResourceCommands.ExecuteCommandAsync("loadgen", "start-run",
            Arguments(("mode", "closed"), ("events", "2000"), ("concurrency", "8"), ("format", "cloudevents"), ("batchSize", "100"), ("compress", compress)),
            timeout.Token);
        Assert.True(result.Success, result.Message);

        var report = await ReportOfAsync(RunIdIn(result.Message), timeout.Token);
        Assert.Equal(compress, report.GetProperty("compress").GetString());
        Assert.Equal(2000, report.GetProperty("accepted").GetInt64());
        var verification = report.GetProperty("verification");
        Assert.Equal(2000, verification.GetProperty("stored").GetInt64());
        Assert.Equal(0, verification.GetProperty("lost").GetInt64());
        Assert.Equal(0, verification.GetProperty("duplicated").GetInt64());
        // ~380 bytes per event as JSON; the generator's repetitive data compresses several times over.
        Assert.InRange(report.GetProperty("bodyBytesPerEvent").GetDouble(), 1, 150);
    }

    [Theory]
    [InlineData("1")] // single events on PublishStream calls
    [InlineData("50")] // PublishBatch calls
    public async Task ARunOverGrpcIsVerifiedWithNothingLostAndNothingDuplicated(string batchSize)
    {
        using var timeout = new CancellationTokenSource(Timeout);

        var result = await fixture.App.ResourceCommands.ExecuteCommandAsync("loadgen", "start-run",
            Arguments(("mode", "closed"), ("events", "5000"), ("concurrency", "128"), ("protocol", "grpc"), ("batchSize", batchSize)), timeout.Token);
        Assert.True(result.Success, result.Message);

        var report = await ReportOfAsync(RunIdIn(result.Message), timeout.Token);
        Assert.Equal("grpc", report.GetProperty("protocol").GetString());
        Assert.Equal(5000, report.GetProperty("accepted").GetInt64());
        var verification = report.GetProperty("verification");
        Assert.Equal(5000, verification.GetProperty("stored").GetInt64());
        Assert.Equal(0, verification.GetProperty("lost").GetInt64());
        Assert.Equal(0, verification.GetProperty("duplicated").GetInt64());
    }

    [Fact]
    public async Task AnOpenLoopRunOfCloudEventBatchesCanBeStoppedFromTheDashboard()
    {
        using var timeout = new CancellationTokenSource(Timeout);

        var start = await fixture.App.ResourceCommands.ExecuteCommandAsync("loadgen", "start-run",
            Arguments(("mode", "open"), ("rate", "500"), ("durationSeconds", "600"), ("format", "cloudevents"), ("batchSize", "10")), timeout.Token);
        Assert.True(start.Success, start.Message);
        await Waiting.UntilAsync(async ct =>
        {
            using var current = await fixture.LoadGen.GetAsync("/runs/current", ct);
            return current.IsSuccessStatusCode ? (await current.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("accepted").GetInt64() : 0;
        }, accepted => accepted >= 500, Timeout, "the run to get going");

        var stop = await fixture.App.ResourceCommands.ExecuteCommandAsync("loadgen", "stop-run", timeout.Token);
        Assert.True(stop.Success, stop.Message);

        var report = await ReportOfAsync(RunIdIn(start.Message), timeout.Token);
        Assert.True(report.GetProperty("stopped").GetBoolean());
        Assert.Equal("open", report.GetProperty("mode").GetString());
        Assert.True(report.GetProperty("accepted").GetInt64() >= 500);
        Assert.Equal(500, report.GetProperty("openLoop").GetProperty("targetRate").GetDouble());
    }

    [Fact]
    public async Task ARunWithImpossibleNumbersIsRefusedWithTheReason()
    {
        using var timeout = new CancellationTokenSource(Timeout);

        var result = await fixture.App.ResourceCommands.ExecuteCommandAsync("loadgen", "start-run",
            Arguments(("mode", "closed"), ("format", "simple"), ("batchSize", "100")), timeout.Token);

        Assert.False(result.Success);
        Assert.Contains("cloudevents", result.Message, StringComparison.Ordinal);
    }

    private static InteractionInputCollection Arguments(params (string Name, string Value)[] values) => AppHostFixture.CommandArguments(values);

    private static string RunIdIn(string? message) => AppHostFixture.RunIdIn(message);

    private Task<JsonElement> ReportOfAsync(string runId, CancellationToken cancellationToken) => fixture.LoadReportAsync(runId, Timeout, cancellationToken);
}
