using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>
/// Container mode for real on Podman: the orchestrator starts the Kafka (contract stand-in) and
/// PostgreSQL containers with their ports published on random host ports; the api and consumer
/// on the host must reach both, and an independent Kafka client must too.
/// </summary>
[Trait("Category", "EndToEnd")]
[Collection(ContainerModeAppHost.Name)]
public sealed class ContainerModeTests(ContainerModeAppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [ContainerFact]
    public async Task EventsGoThroughTheKafkaContainerIntoPostgresInItsContainerAndKcatReadsThemAtTheAdvertisedAddress()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var ids = await ContainerModeSteps.SendAsync(fixture, 300, timeout.Token);

        await ContainerModeSteps.WaitUntilStoredAsync(fixture, ids, timeout.Token);
        Assert.Equal(ids.Count, await ContainerModeSteps.CountStoredAsync(fixture, ids, timeout.Token));

        // kcat bootstraps on the host listener, then follows what the broker advertises.
        var read = await KcatAsync(fixture.KafkaConnectionString, "events", timeout.Token);
        Assert.All(ids, id => Assert.Contains(id, read, StringComparison.Ordinal));
    }

    [ContainerFact]
    public async Task TheKafkaResourceRunsTheContainerAndSaysWhyInItsLog()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var kafka = await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync("kafka", timeout.Token);

        Assert.Equal("localhost/kafkaingestion-test/kafka-standin:test", kafka.Snapshot.Properties.Single(p => p.Name == "container.image").Value?.ToString());
        Assert.Matches(@"^localhost:\d+$", fixture.KafkaConnectionString);
        Assert.NotEqual("localhost:9092", fixture.KafkaConnectionString);

        var logs = fixture.App.Services.GetRequiredService<ResourceLoggerService>();
        var line = await Waiting.UntilAsync(async ct =>
        {
            await foreach (var batch in logs.WatchAsync(kafka.ResourceId).WithCancellation(ct))
            {
                if (batch.FirstOrDefault(l => l.Content.Contains("Kafka runs in container mode", StringComparison.Ordinal)) is { } found)
                {
                    return found.Content;
                }
            }

            return null;
        }, found => found is not null, TimeSpan.FromSeconds(30), "the kafka resource's log line about its mode");
        Assert.Contains("is present locally", line, StringComparison.Ordinal);
    }

    /// <summary>Every record of a topic from the beginning, as kcat (librdkafka's CLI, not our code) prints them.</summary>
    private static async Task<string> KcatAsync(string bootstrap, string topic, CancellationToken cancellationToken)
    {
        using var kcat = Process.Start(new ProcessStartInfo("kcat", ["-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%s\n"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = kcat.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = kcat.StandardError.ReadToEndAsync(cancellationToken);
        await kcat.WaitForExitAsync(cancellationToken);
        Assert.True(kcat.ExitCode == 0, $"kcat exited with {kcat.ExitCode}: {await error}");
        return await output;
    }
}

/// <summary>What the container-mode tests do with a running AppHost: send events, see them stored.</summary>
internal static class ContainerModeSteps
{
    public static async Task<List<string>> SendAsync(AppHostFixture fixture, int count, CancellationToken cancellationToken)
    {
        var runId = Guid.NewGuid().ToString("N");
        var ids = Enumerable.Range(0, count).Select(i => $"{runId}-{i}").ToList();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (id, ct) =>
        {
            using var response = await fixture.Api.PostAsJsonAsync("/register_event", new { id, type = "test.container", key = id[^2..], data = new { id } }, ct);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        });
        return ids;
    }

    public static async Task WaitUntilStoredAsync(AppHostFixture fixture, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var processed = await Waiting.UntilAsync(ct => fixture.QueryProcessedAsync(ids, ct), times => times.Values.All(t => t > 0),
            TimeSpan.FromSeconds(90), $"the consumer to store {ids.Count} events in PostgreSQL");
        Assert.All(ids, id => Assert.Equal(1, processed[id]));
    }

    /// <summary>Rows in the PostgreSQL container itself, read over its published port with its password.</summary>
    public static async Task<long> CountStoredAsync(AppHostFixture fixture, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var connectionString = await fixture.App.GetConnectionStringAsync("events-db", cancellationToken);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM events WHERE id = ANY(@ids)", connection);
        count.Parameters.AddWithValue("ids", ids.ToArray());
        return (long)(await count.ExecuteScalarAsync(cancellationToken))!;
    }
}
