using System.Diagnostics;
using KafkaIngestion.LoadGen;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.ServiceDiscovery;

namespace KafkaIngestion.Tests.LoadGen;

// Rate and stall timings: run alone, not beside AppHosts starting on the same two cores.
[Collection(TimingSensitive.Name)]
public sealed class LoadRunnerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task AnOpenLoopHoldsItsRateWithinAFewPercent()
    {
        await using var target = await FakeTarget.StartAsync();
        var settings = OpenLoop(target, rate: 200, seconds: 3);
        var stats = new RunStats();
        using var timeout = new CancellationTokenSource(Timeout);

        var sent = await NewRunner().SendAsync(settings, new EventFactory("rate", settings), stats, timeout.Token);

        Assert.Equal(600, stats.Events);
        Assert.Equal(600, target.Accepted);
        var open = Assert.IsType<OpenLoopReport>(sent.OpenLoop);
        Assert.InRange(open.AchievedRate, 194, 206);
        Assert.True(open.RateKept, open.Why);
        Assert.InRange(sent.Seconds, 2.9, 4);
    }

    [Fact]
    public async Task AnOpenLoopCountsAStalledServersQueueingDelayFromEachRequestsDueTime()
    {
        await using var target = await FakeTarget.StartAsync();
        var settings = OpenLoop(target, rate: 200, seconds: 2);
        settings.MaxInFlight = 4; // few slots: while the server stalls, due requests must wait
        var stats = new RunStats();
        using var timeout = new CancellationTokenSource(Timeout);

        var sending = NewRunner().SendAsync(settings, new EventFactory("stall", settings), stats, timeout.Token);
        await Task.Delay(TimeSpan.FromMilliseconds(500), timeout.Token);
        target.Stall = TimeSpan.FromMilliseconds(500);
        await Task.Delay(TimeSpan.FromMilliseconds(500), timeout.Token);
        target.Stall = TimeSpan.Zero;
        var sent = await sending;

        // A closed loop would record about four slow requests. Counted from when each was due,
        // the ~100 requests due during the stall all show part of it.
        var summary = LatencySummary.From(stats.Latency);
        var slow = stats.Latency.RecordedValues().Where(v => v.ValueIteratedTo >= 100_000).Sum(v => v.CountAtValueIteratedTo);
        Assert.True(slow >= 40, $"only {slow} requests showed the stall");
        Assert.True(summary.Max >= 400, $"max {summary.Max} ms");
        Assert.False(sent.OpenLoop!.RateKept);
        Assert.Contains("in-flight slots", sent.OpenLoop.Why, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(LoadGenOptions.SocketsClient, "gzip")]
    [InlineData(LoadGenOptions.SocketsClient, "br")]
    [InlineData(LoadGenOptions.SocketsClient, "zstd")]
    [InlineData(LoadGenOptions.HttpClientClient, "gzip")]
    [InlineData(LoadGenOptions.HttpClientClient, "zstd")]
    public async Task WithCompressEveryBodyGoesCompressedWithItsContentEncoding(string client, string compress)
    {
        await using var target = await FakeTarget.StartAsync();
        var settings = new LoadGenOptions { TargetUrl = target.Url, Events = 200, Concurrency = 4, Client = client, Compress = compress, Verify = false };
        var stats = new RunStats();
        using var timeout = new CancellationTokenSource(Timeout);

        await NewRunner().SendAsync(settings, new EventFactory("compressed", settings), stats, timeout.Token);

        Assert.Equal(200, target.Accepted);
        Assert.Equal(200, stats.Accepted);
        Assert.Equal(200, Assert.Single(target.Encodings, e => e.Key == compress).Value);
        Assert.Single(target.Encodings);
        // Each ~400-byte event goes in fewer bytes than that: the count is of what went on the wire.
        Assert.InRange(stats.BodyBytes, 200, 200 * 300);
    }

    [Fact]
    public async Task AClosedLoopSendsEveryEventOnceInBatchesWithASmallerLastOne()
    {
        await using var target = await FakeTarget.StartAsync();
        var settings = new LoadGenOptions { TargetUrl = target.Url, Events = 1_000, Concurrency = 8, Verify = false };
        var stats = new RunStats();
        using var timeout = new CancellationTokenSource(Timeout);

        await NewRunner().SendAsync(settings, new EventFactory("closed", settings), stats, timeout.Token);

        Assert.Equal(1_000, target.Accepted);
        Assert.Equal(1_000, stats.AcceptedIds.Distinct().Count());
        Assert.Equal(5, LoadRunner.RequestCount(1_001, 250));
        Assert.Equal(1, LoadRunner.EventsIn(4, 1_001, 250));
    }

    [Fact]
    public async Task RetriesResendTheSameEventIdsUntilAccepted()
    {
        await using var target = await FakeTarget.StartAsync();
        target.StatusFor = (_, attempt) => attempt <= 2 ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status202Accepted;
        var settings = new LoadGenOptions { TargetUrl = target.Url, Events = 100, Concurrency = 8, Retries = 3, Verify = false };
        var stats = new RunStats();
        using var timeout = new CancellationTokenSource(Timeout);

        await NewRunner().SendAsync(settings, new EventFactory("retry", settings), stats, timeout.Token);

        Assert.Equal(100, stats.Accepted);
        Assert.Equal(100, stats.AcceptedIds.Distinct().Count());
        Assert.Equal(200, stats.Retries);
        Assert.Equal(200, stats.StatusCodes["503"]);
        Assert.Equal(100, stats.StatusCodes["202"]);
        // Every resend carried an id already sent: 100 ids, three attempts each.
        Assert.Equal(100, target.Attempts.Count);
        Assert.All(target.Attempts.Values, attempts => Assert.Equal(3, attempts));
    }

    [Fact]
    public async Task EventsStillUnansweredWhenTheRetriesRunOutAreReportedAsFailed()
    {
        await using var target = await FakeTarget.StartAsync();
        target.StatusFor = (id, _) => id.EndsWith('3') ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status202Accepted;
        var settings = new LoadGenOptions { TargetUrl = target.Url, Events = 100, Concurrency = 8, Retries = 1, Verify = false };
        var stats = new RunStats();
        using var timeout = new CancellationTokenSource(Timeout);

        await NewRunner().SendAsync(settings, new EventFactory("give-up", settings), stats, timeout.Token);

        Assert.Equal(90, stats.Accepted);
        Assert.Equal(0, stats.Rejected);
        Assert.Equal(100, stats.AnsweredEvents); // the 10 others: failed, each tried twice
        Assert.Equal(10, stats.Retries);
        Assert.Equal(20, stats.StatusCodes["503"]);
    }

    [Fact]
    public async Task ARejectionIsNeverRetried()
    {
        await using var target = await FakeTarget.StartAsync();
        target.StatusFor = (_, _) => StatusCodes.Status400BadRequest;
        var settings = new LoadGenOptions { TargetUrl = target.Url, Events = 20, Concurrency = 4, Retries = 5, Verify = false };
        var stats = new RunStats();
        using var timeout = new CancellationTokenSource(Timeout);

        await NewRunner().SendAsync(settings, new EventFactory("rejected", settings), stats, timeout.Token);

        Assert.Equal(20, stats.Rejected);
        Assert.Equal(0, stats.Retries);
    }

    [Fact]
    public async Task ARunAgainstALossyTargetReportsTheLostEventsAndFails()
    {
        await using var target = await FakeTarget.StartAsync();
        // Every other event "acknowledged and never stored".
        target.Stores = id => id[^1] % 2 == 0;
        var settings = new LoadGenOptions
        {
            TargetUrl = target.Url, ConsumerUrl = target.Url, Events = 200, Concurrency = 4,
            VerifyTimeout = TimeSpan.FromSeconds(2), ReportDirectory = Path.Combine(Path.GetTempPath(), $"loadgen-test-{Guid.NewGuid():N}"),
        };
        using var timeout = new CancellationTokenSource(Timeout);
        var services = Services();

        var report = await services.GetRequiredService<LoadSession>().RunAsync(settings, "lossy", new RunStats(), terminal: false, timeout.Token);

        Assert.Equal(200, report.Accepted);
        var verification = Assert.IsType<VerificationReport>(report.Verification);
        Assert.Equal(100, verification.Lost);
        Assert.Equal(100, verification.Stored);
        Assert.All(verification.LostIds, id => Assert.True(id[^1] % 2 == 1));
        Assert.False(report.Succeeded);
        Assert.Equal(12.5, verification.EndToEnd.P50, precision: 0);
        var markdown = await File.ReadAllTextAsync(Directory.GetFiles(settings.ReportDirectory, "*.md").Single(), timeout.Token);
        Assert.Contains("| **lost** | 100", markdown, StringComparison.Ordinal);
        Assert.NotEmpty(report.Timeline);
        Assert.Contains(report.Timeline, point => point.AcceptedPerSecond > 0 && point.P99 > 0);
        Directory.Delete(settings.ReportDirectory, recursive: true);
    }

    [Fact]
    public async Task TheTerminalCommandExitsWithOneWhenEventsWereLost()
    {
        await using var target = await FakeTarget.StartAsync();
        target.Stores = id => !id.EndsWith('7');
        var reports = Directory.CreateTempSubdirectory("loadgen-cli-");
        var loadGen = Path.Combine(AppContext.BaseDirectory, "KafkaIngestion.LoadGen.dll");

        using var process = Process.Start(new ProcessStartInfo("dotnet",
            ["exec", loadGen, "--target", target.Url.ToString(), "--consumer", target.Url.ToString(), "--events", "100",
             "--verify-timeout", "2s", "--report-dir", reports.FullName])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        await process.WaitForExitAsync(timeout.Token);

        Assert.True(process.ExitCode == 1, $"exit code {process.ExitCode}: {await output} {await errors}");
        Assert.Contains("| **lost** | 10 ", await output, StringComparison.Ordinal);
        Assert.Equal(2, reports.GetFiles().Length); // the JSON and the Markdown report
        reports.Delete(recursive: true);
    }

    private static LoadGenOptions OpenLoop(FakeTarget target, int rate, int seconds) => new()
    {
        Mode = LoadGenOptions.OpenLoop,
        Rate = rate,
        Duration = TimeSpan.FromSeconds(seconds),
        TargetUrl = target.Url,
        Verify = false,
    };

    private static LoadRunner NewRunner() => new(Services().GetRequiredService<ServiceEndpointResolver>(), NullLogger<LoadRunner>.Instance);

    private static ServiceProvider Services() => new ServiceCollection()
        .AddLogging()
        .AddSingleton<Microsoft.Extensions.Configuration.IConfiguration>(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build())
        .AddServiceDiscovery()
        .AddSingleton<LoadRunner>()
        .AddSingleton<Verifier>()
        .AddSingleton<LoadSession>()
        .BuildServiceProvider();
}
