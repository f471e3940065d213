using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>An AppHost of its own: these tests take its broker down and kill its processes.</summary>
public sealed class FaultInjectionAppHostFixture : AppHostFixture;

[CollectionDefinition(Name)]
public sealed class FaultInjectionAppHost : ICollectionFixture<FaultInjectionAppHostFixture>
{
    public const string Name = "AppHost for fault injection";
}

/// <summary>
/// Each scenario drives an open-loop run through the load generator (verification on, retries
/// of unanswered requests with the same ids), injects one fault in the middle, and ends by
/// checking the invariant: every event answered 2xx is stored exactly once, and every other
/// event was retried by the client or reported as failed. RELIABILITY.md explains the
/// scenarios; <c>reliability/faults.sh</c> runs them at a higher rate and collects the figures.
/// </summary>
[Trait("Category", "EndToEnd")]
[Collection(FaultInjectionAppHost.Name)]
public sealed class FaultInjectionTests(FaultInjectionAppHostFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    /// <summary>Events per second and seconds of each run; the script raises them.</summary>
    private static readonly int Rate = Setting("KAFKAINGESTION_FAULT_RATE", 400);
    private static readonly int Seconds = Setting("KAFKAINGESTION_FAULT_SECONDS", 24);

    [Fact]
    public async Task BrokerDownForTenSecondsMidRunLosesNothingAndTheApiRecoversByItself()
    {
        var result = await RunWithFaultAsync("broker-down", async ct =>
        {
            await CommandAsync("kafka", "broker-down", ct);
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(10), ct);
            }
            finally
            {
                await CommandAsync("kafka", "broker-up", CancellationToken.None);
            }
        });

        // While the broker was down the API said so (503 with Retry-After), and the client's
        // resends of those same events went through once it was back.
        Assert.True(result.StatusCodes.GetValueOrDefault("503") > 0, $"no 503 while the broker was down: {Describe(result)}");
        Assert.True(result.Retries > 0);
    }

    [Fact]
    public async Task InjectedProduceErrorsAreRetriedByTheIdempotentProducerWithoutDuplicates()
    {
        var duplicatesBefore = await ConsumerDuplicatesAsync(CancellationToken.None);
        // Longer than the API's 5 s publish deadline: some requests are answered 503 and sent again.
        var result = await RunWithFaultAsync("produce-errors", async ct =>
            await CommandAsync("kafka", "fail-produce-requests", ct, ("seconds", "8")));

        // No record was written twice to Kafka: the consumer met no event id a second time.
        Assert.Equal(duplicatesBefore, await ConsumerDuplicatesAsync(CancellationToken.None));
        Assert.Equal(0, result.Failed);
    }

    [Fact]
    public async Task AConsumerKilledMidRunAndRestartedStoresEveryAcknowledgedEventOnce()
    {
        await RunWithFaultAsync("consumer-killed", async ct =>
        {
            await fixture.KillAsync("consumer", ct);
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
            await fixture.RestartAsync("consumer", ct);
        });
    }

    [Fact]
    public async Task AnApiKilledMidRunAndRestartedGetsTheUnansweredEventsAgainWithoutDuplicates()
    {
        var result = await RunWithFaultAsync("api-killed", async ct =>
        {
            await fixture.KillAsync("api", ct);
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
            await fixture.RestartAsync("api", ct);
        });

        // Requests cut off by the kill were sent again with the same ids; an event the dead API
        // had published before it could answer is then in Kafka twice, and stored once.
        Assert.True(result.Retries > 0, $"nothing was retried: {Describe(result)}");
        Assert.Equal(0, result.Failed);
    }

    [Fact]
    public async Task AStoreUnavailableForTenSecondsLosesNothingAndProcessingResumes()
    {
        await RunWithFaultAsync("store-unavailable", async ct =>
        {
            await using (await fixture.Store.BeginOutageAsync(ct))
            {
                await Task.Delay(TimeSpan.FromSeconds(10), ct);
            }
        });
    }

    [Fact]
    public async Task AFloodOfPoisonRecordsGoesToTheDeadLetterTopicWhileGoodEventsKeepFlowing()
    {
        const int Poison = 500;
        var marker = $"poison-{Guid.NewGuid():N}"[..20];
        await RunWithFaultAsync("poison-flood", async ct =>
        {
            using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = fixture.KafkaConnectionString, LingerMs = 5 }).Build();
            for (var i = 0; i < Poison; i++)
            {
                // Written past the API, as a misbehaving producer would: no CloudEvents headers, a
                // required attribute missing, or a malformed one.
                var headers = new Headers();
                if (i % 3 != 0)
                {
                    headers.Add("ce_specversion", "1.0"u8.ToArray());
                    headers.Add("ce_id", System.Text.Encoding.UTF8.GetBytes($"{marker}-{i}"));
                    headers.Add("ce_source", "urn:poison"u8.ToArray());
                    headers.Add(i % 3 == 1 ? "ce_time" : "ce_subject", "yesterday"u8.ToArray());
                }

                producer.Produce("events", new Message<string, byte[]> { Key = $"{marker}-{i}", Value = [0xC3, 0x28, (byte)'{', (byte)i], Headers = headers });
            }

            producer.Flush(ct);
        });

        using var timeout = new CancellationTokenSource(Timeout);
        var wanted = Enumerable.Range(0, Poison).Select(i => $"{marker}-{i}").ToHashSet(StringComparer.Ordinal);
        fixture.ReadDeadLetter(record => wanted.Remove(record.Message.Key ?? "") && wanted.Count == 0, timeout.Token);
        Assert.Empty(wanted);
    }

    /// <summary>Figures of one scenario's run, from the load generator's report and the test's clock.</summary>
    private sealed record ScenarioResult(
        string Scenario, long Sent, long Accepted, long Rejected, long Failed, long Retries, long Stored, long Duplicated, long Lost,
        double RecoverySeconds, double P99Ms, IReadOnlyDictionary<string, long> StatusCodes);

    /// <summary>
    /// Starts an open-loop run, lets it get going, injects the fault (<paramref name="inject"/>
    /// returns once the fault is over), measures how long until events are accepted again, and
    /// checks the invariant on the run's verified report.
    /// </summary>
    private async Task<ScenarioResult> RunWithFaultAsync(string scenario, Func<CancellationToken, Task> inject)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var runId = await fixture.StartLoadRunAsync(timeout.Token,
            ("mode", "open"), ("rate", Rate.ToString(CultureInfo.InvariantCulture)), ("durationSeconds", Seconds.ToString(CultureInfo.InvariantCulture)),
            ("format", "simple"), ("batchSize", "1"), ("retries", "40"));
        await Waiting.UntilAsync(AcceptedSoFarAsync, accepted => accepted >= Rate * 3, Timeout, "the run to get going");

        await inject(timeout.Token);

        // Recovery: from the end of the fault until the run's accepted count moves again.
        var cleared = Stopwatch.StartNew();
        var acceptedAtClear = await AcceptedSoFarAsync(timeout.Token);
        await Waiting.UntilAsync(AcceptedSoFarAsync, accepted => accepted > acceptedAtClear || accepted < 0, Timeout, "events to be accepted again");
        var recovery = cleared.Elapsed.TotalSeconds;

        var report = await fixture.LoadReportAsync(runId, Timeout, timeout.Token);
        var verification = report.GetProperty("verification");
        var result = new ScenarioResult(
            scenario,
            report.GetProperty("events").GetInt64(), report.GetProperty("accepted").GetInt64(), report.GetProperty("rejected").GetInt64(),
            report.GetProperty("failed").GetInt64(), report.GetProperty("retries").GetInt64(),
            verification.GetProperty("stored").GetInt64(), verification.GetProperty("duplicated").GetInt64(), verification.GetProperty("lost").GetInt64(),
            Math.Round(recovery, 1), report.GetProperty("latency").GetProperty("p99").GetDouble(),
            report.GetProperty("statusCodes").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64()));
        Publish(result);

        // The invariant. Every event is accounted for once: accepted, rejected or failed.
        Assert.Equal(result.Sent, result.Accepted + result.Rejected + result.Failed);
        // Every accepted event is stored, exactly once.
        Assert.True(result.Lost == 0, $"lost events: {Describe(result)}; first: {verification.GetProperty("lostIds")}");
        Assert.Equal(0, result.Duplicated);
        Assert.Equal(result.Accepted, result.Stored);
        // The generated events are all valid: none may be refused as bad input.
        Assert.Equal(0, result.Rejected);
        Assert.True(result.Accepted > Rate * 3, Describe(result));
        return result;
    }

    /// <summary>Accepted events of the run going on; -1 once it is over (it can end before the probe).</summary>
    private async Task<long> AcceptedSoFarAsync(CancellationToken cancellationToken)
    {
        using var current = await fixture.LoadGen.GetAsync("/runs/current", cancellationToken);
        return current.IsSuccessStatusCode
            ? (await current.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("accepted").GetInt64()
            : -1;
    }

    private async Task CommandAsync(string resource, string command, CancellationToken cancellationToken, params (string Name, string Value)[] arguments)
    {
        var result = await fixture.App.ResourceCommands.ExecuteCommandAsync(resource, command, AppHostFixture.CommandArguments(arguments), cancellationToken);
        Assert.True(result.Success, $"{command}: {result.Message}");
    }

    private async Task<long> ConsumerDuplicatesAsync(CancellationToken cancellationToken) =>
        (await fixture.ConsumerStatusAsync(cancellationToken)).Duplicates;

    private void Publish(ScenarioResult result)
    {
        output.WriteLine(Describe(result));
        if (Environment.GetEnvironmentVariable("KAFKAINGESTION_RELIABILITY_RESULTS") is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(Path.Combine(directory, $"fault-{result.Scenario}.json"), JsonSerializer.Serialize(result));
        }
    }

    private static string Describe(ScenarioResult r) => string.Create(CultureInfo.InvariantCulture,
        $"{r.Scenario}: {r.Sent} sent, {r.Accepted} accepted, {r.Rejected} rejected, {r.Failed} failed, {r.Retries} retries, {r.Stored} stored, {r.Duplicated} duplicated, {r.Lost} lost, recovery {r.RecoverySeconds} s, p99 {r.P99Ms} ms, codes {string.Join(' ', r.StatusCodes.Select(c => $"{c.Key}:{c.Value}"))}");

    private static int Setting(string variable, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;
}
