using System.Globalization;
using System.Text;
using Confluent.Kafka;
using KafkaIngestion.Events;

namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>What cannot be stored goes to the dead-letter topic, and the events around it do not wait.</summary>
public abstract class DeadLetterScenarios(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [StoreFact]
    public async Task ARecordThatIsNotAnEventGoesToTheDeadLetterTopicWithTheReasonAndTheEventsAfterItAreStored()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var marker = $"poison-{Guid.NewGuid():N}";
        var after = $"{marker}-after";
        using (var producer = new ProducerBuilder<string?, byte[]>(new ProducerConfig { BootstrapServers = fixture.KafkaConnectionString }).Build())
        {
            // Written past the API, as a misbehaving producer would: no CloudEvents headers. Then
            // a valid event with the same key, so in the same partition, behind it.
            await producer.ProduceAsync("events", new Message<string?, byte[]>
            {
                Key = marker,
                Value = "not an event"u8.ToArray(),
                Headers = [new Header("sent-by", "a misbehaving producer"u8.ToArray())],
            }, timeout.Token);
            await producer.ProduceAsync("events", CloudEventKafkaBinding.ToMessage(
                new IngestEvent(after, "test.after-poison", "urn:test", marker, DateTimeOffset.UtcNow, "{}"u8.ToArray())), timeout.Token);
        }

        var deadLettered = fixture.ReadDeadLetter(record => record.Message.Key == marker, timeout.Token);

        Assert.Equal("not an event", Encoding.UTF8.GetString(deadLettered.Message.Value));
        Assert.Equal("a misbehaving producer", Header(deadLettered, "sent-by"));
        Assert.Contains("ce_specversion", Header(deadLettered, "dlq_error"), StringComparison.Ordinal);
        Assert.Equal("events", Header(deadLettered, "dlq_original_topic"));
        Assert.NotNull(Header(deadLettered, "dlq_original_offset"));
        await Waiting.UntilAsync(ct => fixture.QueryProcessedAsync([after], ct), s => s[after] == 1, Timeout,
            "the event behind the poison record to be stored");
    }

    [StoreFact]
    public async Task AnEventTheStoreKeepsRefusingIsDeadLetteredAfterThreeAttemptsAndItsNeighboursAreStored()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var run = Guid.NewGuid().ToString("N");
        var refusedType = $"test.refused.{run}";
        // The operator's rule: the store refuses this type (a trigger, as a CHECK or a foreign
        // key would). Every attempt fails the same way, unlike an outage.
        await fixture.Store.RefuseTypeAsync(refusedType, $"events of type {refusedType} are refused", timeout.Token);
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
        await fixture.Store.AcceptTypeAgainAsync(refusedType, timeout.Token);
        var result = await fixture.App.ResourceCommands.ExecuteCommandAsync("consumer", "reprocess-dead-letters", timeout.Token);
        Assert.True(result.Success, result.Message);

        await Waiting.UntilAsync(ct => fixture.QueryProcessedAsync(ids, ct), s => s.Values.All(times => times == 1), Timeout,
            "the reprocessed event to be stored");
    }

    private static string? Header(ConsumeResult<string?, byte[]> record, string name) =>
        record.Message.Headers.TryGetLastBytes(name, out var value) ? Encoding.UTF8.GetString(value) : null;
}

[Trait("Category", "EndToEnd")]
[Collection(SharedAppHost.Name)]
public sealed class DeadLetterTests(AppHostFixture fixture) : DeadLetterScenarios(fixture);

[Trait("Category", "EndToEnd")]
[Collection(PostgresAppHost.Name)]
public sealed class PostgresDeadLetterTests(PostgresAppHostFixture fixture) : DeadLetterScenarios(fixture);
