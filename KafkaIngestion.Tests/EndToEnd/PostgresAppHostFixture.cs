using KafkaIngestion.Tests.Consumer;

namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>
/// A real AppHost whose consumer stores in PostgreSQL: a database created for the fixture on the
/// test server (<c>KAFKAINGESTION_TEST_POSTGRES</c>), handed to the AppHost as
/// <c>ConnectionStrings:events-db</c> as a user would, and dropped afterwards. Without a server
/// it starts nothing: its tests are skipped (<see cref="StoreFactAttribute"/>).
/// </summary>
public class PostgresAppHostFixture : AppHostFixture
{
    private readonly PostgresStoreUnderTest? _store =
        Environment.GetEnvironmentVariable(EventStoreContractTests.PostgresVariable) is { Length: > 0 } server
            ? new PostgresStoreUnderTest(server, $"e2e_{Guid.NewGuid():N}")
            : null;

    public override IStoreUnderTest Store => _store ?? throw new InvalidOperationException(PostgresFactAttribute.Missing);

    protected override bool Needed => _store is not null;

    protected override IEnumerable<string> MoreSettings => ["Consumer:Store=postgres", $"ConnectionStrings:events-db={_store?.ConnectionString}"];

    public override async Task InitializeAsync()
    {
        if (_store is null)
        {
            return;
        }

        using (var timeout = new CancellationTokenSource(StartTimeout))
        {
            await _store.CreateDatabaseAsync(timeout.Token);
        }

        await base.InitializeAsync();

        // The consumer creates its table on first use (SQLite's is there from the start); a
        // lookup makes it do so now, before scenarios add their triggers to it.
        using var ready = new CancellationTokenSource(StartTimeout);
        await QueryProcessedAsync(["table-created"], ready.Token);
    }

    public override async Task DisposeAsync()
    {
        try
        {
            await base.DisposeAsync();
        }
        finally
        {
            if (_store is not null)
            {
                // WITH (FORCE): a consumer left running by a failed test must not keep it.
                using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
                await _store.DropDatabaseAsync(timeout.Token);
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresAppHost : ICollectionFixture<PostgresAppHostFixture>, INeedsPostgres
{
    public const string Name = "AppHost with the PostgreSQL store";
}

/// <summary>Two consumer replicas in the group, both storing in one PostgreSQL database.</summary>
public sealed class TwoConsumersPostgresAppHostFixture : PostgresAppHostFixture
{
    protected override IEnumerable<string> MoreSettings => [.. base.MoreSettings, TwoConsumersAppHostFixture.TwoReplicas];
}

[CollectionDefinition(Name)]
public sealed class ScaledOutPostgresAppHost : ICollectionFixture<TwoConsumersPostgresAppHostFixture>, INeedsPostgres
{
    public const string Name = "AppHost with two consumers and the PostgreSQL store";
}
