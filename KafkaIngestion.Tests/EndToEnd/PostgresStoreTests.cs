using System.Text.Json;
using KafkaIngestion.Tests.Consumer;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;

namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>
/// The consumer with the PostgreSQL store, end to end: events accepted by the AppHost's API,
/// read from the shared broker by a consumer hosted here (a group of its own), stored in a real
/// PostgreSQL database exactly once.
/// </summary>
[Collection(SharedAppHost.Name)]
public sealed class PostgresStoreTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [PostgresFact]
    public async Task EveryAcceptedEventIsStoredInPostgresExactlyOnce()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var server = new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable(EventStoreContractTests.PostgresVariable));
        var database = $"e2e_{Guid.NewGuid():N}";
        await using (var admin = NpgsqlDataSource.Create(server.ConnectionString))
        {
            await using var create = admin.CreateCommand($"CREATE DATABASE {database};");
            await create.ExecuteNonQueryAsync(timeout.Token);
        }

        try
        {
            var run = Guid.NewGuid().ToString("N")[..8];
            var ids = Enumerable.Range(0, 200).Select(i => $"pg-{run}-{i}").ToList();
            foreach (var id in ids.Append(ids[0]))
            {
                using var response = await fixture.Api.PostAsJsonAsync("/register_event", new { id, type = "test.postgres", data = new { id } }, timeout.Token);
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            }

            var storeConnection = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = database }.ConnectionString;
            await using (var consumer = new WebApplicationFactory<KafkaIngestion.Consumer.ConsumerOptions>().WithWebHostBuilder(host => host
                .UseSetting("ConnectionStrings:kafka", fixture.KafkaConnectionString)
                .UseSetting("ConnectionStrings:events-db", storeConnection)
                .UseSetting("Consumer:Store", "postgres")
                .UseSetting("Kafka:Consumer:Config:group.id", $"pg-test-{run}")))
            {
                using var client = consumer.CreateClient();
                var stored = await Waiting.UntilAsync(
                    async ct =>
                    {
                        using var response = await client.PostAsJsonAsync("/processed/query", new { ids }, ct);
                        return response.IsSuccessStatusCode
                            ? (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("timesProcessed").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32())
                            : [];
                    },
                    times => times.Count == ids.Count && times.Values.All(t => t == 1),
                    Timeout,
                    "the PostgreSQL store to hold every event");
                Assert.All(ids, id => Assert.Equal(1, stored[id]));

                var status = await client.GetFromJsonAsync<JsonElement>("/status", timeout.Token);
                Assert.True(status.GetProperty("duplicates").GetInt64() >= 1, "the event sent twice is counted as a duplicate");
            }

            await using var events = NpgsqlDataSource.Create(storeConnection);
            await using var count = events.CreateCommand("SELECT count(*) FROM events WHERE id LIKE $1;");
            count.Parameters.Add(new NpgsqlParameter<string> { TypedValue = $"pg-{run}-%" });
            Assert.Equal(200L, (long)(await count.ExecuteScalarAsync(timeout.Token))!);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = NpgsqlDataSource.Create(server.ConnectionString);
            await using var drop = admin.CreateCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE);");
            await drop.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }
}
