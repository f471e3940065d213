using KafkaIngestion.ConsumerApi;

namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>An AppHost of its own, with two consumer replicas in the group.</summary>
public sealed class TwoConsumersAppHostFixture : AppHostFixture
{
    public const string TwoReplicas = "Consumer:Replicas=2";

    protected override IEnumerable<string> MoreSettings => [TwoReplicas];
}

[CollectionDefinition(Name)]
public sealed class ScaledOutAppHost : ICollectionFixture<TwoConsumersAppHostFixture>
{
    public const string Name = "AppHost with two consumers";
}

/// <summary>Replicas of the consumer share the work and the store.</summary>
public abstract class ScaleOutScenarios(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [StoreFact]
    public async Task TwoReplicasShareThePartitionsAndTogetherStoreEveryEventOnce()
    {
        using var timeout = new CancellationTokenSource(Timeout);

        // The consumer's endpoint spreads connections over the replicas, so asking often enough on
        // new connections hears from both; each tells its group member id and the partitions it owns.
        var owners = new Dictionary<string, int[]>();
        await Waiting.UntilAsync(async ct =>
        {
            var status = await StatusOnANewConnectionAsync(ct);
            var member = status.Member;
            owners[member] = [.. status.Partitions.Select(p => p.Partition)];
            return owners;
        }, SharedSixPartitions, Timeout, "two replicas to own three partitions each");

        var run = Guid.NewGuid().ToString("N");
        var ids = Enumerable.Range(0, 600).Select(i => $"{run}-{i}").ToList();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = timeout.Token }, async (id, ct) =>
        {
            using var response = await fixture.Api.PostAsJsonAsync("/register_event", new { id, type = "test.scale-out", key = id }, ct);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        });

        await Waiting.UntilAsync(ct => fixture.QueryProcessedAsync(ids, ct), stored => stored.Values.All(times => times == 1), Timeout,
            "every event to be stored once");
        var processedBy = new Dictionary<string, long>();
        await Waiting.UntilAsync(async ct =>
        {
            var status = await StatusOnANewConnectionAsync(ct);
            processedBy[status.Member] = status.Processed;
            return processedBy;
        }, seen => seen.Count(m => m.Key.Length > 0 && m.Value > 0) == 2, Timeout, "both replicas to have processed events");
    }

    // Raw, not through ConsumerApiClient: each ask must go on a connection of its own.
    private async Task<ConsumerStatus> StatusOnANewConnectionAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/status");
        request.Headers.ConnectionClose = true;
        using var response = await fixture.Consumer.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync(ConsumerApiJsonContext.Default.ConsumerStatus, cancellationToken))!;
    }

    /// <summary>Exactly two members, three partitions each, none shared, all six owned.</summary>
    private static bool SharedSixPartitions(Dictionary<string, int[]> owners)
    {
        var members = owners.Where(o => o.Key.Length > 0 && o.Value.Length > 0).ToList();
        return members.Count == 2
            && members.All(m => m.Value.Length == 3)
            && members.SelectMany(m => m.Value).Order().SequenceEqual([0, 1, 2, 3, 4, 5]);
    }
}

[Trait("Category", "EndToEnd")]
[Collection(ScaledOutAppHost.Name)]
public sealed class ScaleOutTests(TwoConsumersAppHostFixture fixture) : ScaleOutScenarios(fixture);

[Trait("Category", "EndToEnd")]
[Collection(ScaledOutPostgresAppHost.Name)]
public sealed class PostgresScaleOutTests(TwoConsumersPostgresAppHostFixture fixture) : ScaleOutScenarios(fixture);
