using System.Globalization;
using System.Text.Json;
using Xunit.Abstractions;

namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>The soak runs only when asked for (<c>reliability/soak.sh</c>): it takes ten minutes.</summary>
public sealed class SoakFactAttribute : FactAttribute
{
    public const string Variable = "KAFKAINGESTION_SOAK_MINUTES";

    public static bool Asked => int.TryParse(Environment.GetEnvironmentVariable(Variable), CultureInfo.InvariantCulture, out var minutes) && minutes > 0;

    public SoakFactAttribute()
    {
        if (!Asked)
        {
            Skip = $"The soak runs from reliability/soak.sh (set {Variable}).";
        }
    }
}

public sealed class SoakAppHostFixture : AppHostFixture
{
    protected override bool Needed => SoakFactAttribute.Asked;
}

[CollectionDefinition(Name)]
public sealed class SoakAppHost : ICollectionFixture<SoakAppHostFixture>
{
    public const string Name = "AppHost for the soak";
}

/// <summary>
/// Measures the system's maximum rate (closed loop), then holds half of it, open loop, for the
/// soak's minutes: throughput, p99 latency and memory must stay flat, and nothing may be lost.
/// </summary>
[Trait("Category", "EndToEnd")]
[Collection(SoakAppHost.Name)]
public sealed class SoakTests(SoakAppHostFixture fixture, ITestOutputHelper output)
{
    [SoakFact]
    public async Task HalfTheMaximumRateForTenMinutesStaysFlatAndLosesNothing()
    {
        var minutes = int.Parse(Environment.GetEnvironmentVariable(SoakFactAttribute.Variable)!, CultureInfo.InvariantCulture);
        var timeout = TimeSpan.FromMinutes(minutes + 15);
        using var cancel = new CancellationTokenSource(timeout);

        // The maximum: a closed loop as fast as the whole system (api, broker, consumer, this
        // generator, all on this machine) answers.
        var maxRun = await fixture.StartLoadRunAsync(cancel.Token, ("mode", "closed"), ("events", "200000"), ("concurrency", "64"), ("format", "simple"), ("batchSize", "1"));
        var max = await fixture.LoadReportAsync(maxRun, timeout, cancel.Token);
        var maxRate = max.GetProperty("eventsPerSecond").GetDouble();
        var rate = (int)(maxRate / 2);
        output.WriteLine($"maximum {maxRate:F0} events/s; soaking at {rate} events/s for {minutes} min");

        // Memory of the api and the consumer, sampled through the run.
        var memory = new List<(double Minute, long ApiMb, long ConsumerMb)>();
        using var sampling = new CancellationTokenSource();
        var started = DateTime.UtcNow;
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                memory.Add((Math.Round((DateTime.UtcNow - started).TotalMinutes, 2),
                    fixture.ApiProcesses().Select(p => p.ResidentBytes).DefaultIfEmpty().Max() / 1_048_576,
                    fixture.ProcessesOf("KafkaIngestion.Consumer").Select(p => p.ResidentBytes).DefaultIfEmpty().Max() / 1_048_576));
                await Task.Delay(TimeSpan.FromSeconds(10), CancellationToken.None);
            }
        }, CancellationToken.None);

        var soakRun = await fixture.StartLoadRunAsync(cancel.Token, ("mode", "open"), ("rate", rate.ToString(CultureInfo.InvariantCulture)),
            ("durationSeconds", (minutes * 60).ToString(CultureInfo.InvariantCulture)), ("format", "simple"), ("batchSize", "1"));
        var soak = await fixture.LoadReportAsync(soakRun, timeout, cancel.Token);
        await sampling.CancelAsync();
        await sampler;

        var timeline = soak.GetProperty("timeline").EnumerateArray().ToList();
        // The first and last minute of full windows (the last window can be a partial one).
        var windows = (int)Math.Max(1, 60 / 5);
        var first = timeline.Take(windows).ToList();
        var last = timeline.SkipLast(1).TakeLast(windows).ToList();
        static double Mean(List<JsonElement> points, string property) => points.Average(p => p.GetProperty(property).GetDouble());
        var verification = soak.GetProperty("verification");
        var summary = new
        {
            minutes,
            maximumEventsPerSecond = Math.Round(maxRate),
            rate,
            sent = soak.GetProperty("events").GetInt64(),
            accepted = soak.GetProperty("accepted").GetInt64(),
            failed = soak.GetProperty("failed").GetInt64(),
            stored = verification.GetProperty("stored").GetInt64(),
            lost = verification.GetProperty("lost").GetInt64(),
            duplicated = verification.GetProperty("duplicated").GetInt64(),
            rateKept = soak.GetProperty("openLoop").GetProperty("rateKept").GetBoolean(),
            p99Ms = soak.GetProperty("latency").GetProperty("p99").GetDouble(),
            firstMinute = new { acceptedPerSecond = Math.Round(Mean(first, "acceptedPerSecond")), p99Ms = Math.Round(Mean(first, "p99"), 2) },
            lastMinute = new { acceptedPerSecond = Math.Round(Mean(last, "acceptedPerSecond")), p99Ms = Math.Round(Mean(last, "p99"), 2) },
            apiMemoryMb = new { start = memory.Skip(1).First().ApiMb, end = memory[^1].ApiMb, max = memory.Max(m => m.ApiMb) },
            consumerMemoryMb = new { start = memory.Skip(1).First().ConsumerMb, end = memory[^1].ConsumerMb, max = memory.Max(m => m.ConsumerMb) },
            memory = memory.Select(m => new { m.Minute, m.ApiMb, m.ConsumerMb }),
            timeline = timeline.Select(p => new { at = p.GetProperty("atSeconds").GetDouble(), acceptedPerSecond = p.GetProperty("acceptedPerSecond").GetDouble(), p99 = p.GetProperty("p99").GetDouble() }),
        };
        var json = JsonSerializer.Serialize(summary);
        output.WriteLine(json);
        if (Environment.GetEnvironmentVariable("KAFKAINGESTION_RELIABILITY_RESULTS") is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
            await File.WriteAllTextAsync(Path.Combine(directory, "soak.json"), json, CancellationToken.None);
        }

        Assert.Equal(0, summary.lost);
        Assert.Equal(0, summary.duplicated);
        Assert.Equal(summary.sent, summary.accepted);
        // Flat: the last minute keeps the rate and its p99 stays within a few times the first
        // minute's (or 50 ms: these shared machines have pauses), memory grows by less than 150 MB.
        Assert.True(summary.lastMinute.acceptedPerSecond >= rate * 0.95, json);
        Assert.True(summary.lastMinute.p99Ms <= Math.Max(summary.firstMinute.p99Ms * 3, 50), json);
        Assert.True(summary.apiMemoryMb.end - summary.apiMemoryMb.start < 150, json);
    }
}
