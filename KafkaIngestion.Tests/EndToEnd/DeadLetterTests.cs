using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Microsoft.Data.Sqlite;

namespace KafkaIngestion.Tests.EndToEnd;

[Collection(SharedAppHost.Name)]
public sealed class DeadLetterTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task AnEventTheStoreKeepsRefusingIsDeadLetteredAfterThreeAttemptsAndItsNeighboursAreStored()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var run = Guid.NewGuid().ToString("N");
        var refusedType = $"test.refused.{run}";
        // The operator's rule: the store refuses this type (a trigger, as a CHECK or a foreign
        // key would). Every attempt fails the same way, unlike an outage.
        await ExecuteOnStoreAsync($"""
            CREATE TRIGGER "refuse_{run}" BEFORE INSERT ON events WHEN NEW.type = '{refusedType}'
            BEGIN SELECT RAISE(ABORT, 'events of type {refusedType} are refused'); END;
            """, timeout.Token);
        string[] ids = [$"{run}-before", $"{run}-refused", $"{run}-after"];

        // One request, one key: the three events share a partition and, most likely, a batch.
        using (var response = await fixture.Api.PostAsync("/events", new StringContent($$"""
            [
              {"specversion":"1.0","id":"{{ids[0]}}","source":"/tests","type":"test.neighbour","partitionkey":"{{run}}"},
              {"specversion":"1.0","id":"{{ids[1]}}","source":"/tests","type":"{{refusedType}}","partitionkey":"{{run}}"},
              {"specversion":"1.0","id":"{{ids[2]}}","source":"/tests","type":"test.neighbour","partitionkey":"{{run}}"}
            ]
            """, Encoding.UTF8, "application/cloudevents-batch+json"), timeout.Token))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var deadLettered = fixture.ReadDeadLetter(record => Header(record, "ce_id") == ids[1], timeout.Token);

        Assert.Equal("3", Header(deadLettered, "dlq_attempts"));
        Assert.Contains($"events of type {refusedType} are refused", Header(deadLettered, "dlq_error"), StringComparison.Ordinal);
        Assert.Equal("events", Header(deadLettered, "dlq_original_topic"));
        Assert.True(DateTimeOffset.TryParse(Header(deadLettered, "dlq_failed_at"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _));
        Assert.Equal(refusedType, Header(deadLettered, "ce_type"));
        var stored = await Waiting.UntilAsync(ct => fixture.QueryProcessedAsync(ids, ct), s => s[ids[0]] == 1 && s[ids[2]] == 1, Timeout,
            "the refused event's neighbours to be stored");
        Assert.Equal(0, stored[ids[1]]);

        // The cause is fixed; reprocessing the dead-letter topic stores the event after all.
        await ExecuteOnStoreAsync($"""DROP TRIGGER "refuse_{run}";""", timeout.Token);
        var result = await fixture.App.ResourceCommands.ExecuteCommandAsync("consumer", "reprocess-dead-letters", timeout.Token);
        Assert.True(result.Success, result.Message);

        await Waiting.UntilAsync(ct => fixture.QueryProcessedAsync(ids, ct), s => s.Values.All(times => times == 1), Timeout,
            "the reprocessed event to be stored");
    }

    private async Task ExecuteOnStoreAsync(string sql, CancellationToken cancellationToken)
    {
        // Default Timeout: wait for the consumer's write lock instead of failing on it.
        await using var connection = new SqliteConnection($"Data Source={fixture.StorePath};Pooling=False;Default Timeout=30");
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string? Header(ConsumeResult<string?, byte[]> record, string name) =>
        record.Message.Headers.TryGetLastBytes(name, out var value) ? Encoding.UTF8.GetString(value) : null;
}
