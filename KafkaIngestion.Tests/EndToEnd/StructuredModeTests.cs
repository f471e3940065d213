using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using KafkaIngestion.Events;
using Microsoft.Data.Sqlite;

namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>An AppHost of its own whose API writes CloudEvents structured-mode records.</summary>
public sealed class StructuredModeAppHostFixture : AppHostFixture
{
    protected override void ConfigureModel(IDistributedApplicationTestingBuilder builder) =>
        builder.CreateResourceBuilder<ProjectResource>("api").WithEnvironment("Ingestion__KafkaContentMode", "Structured");
}

[CollectionDefinition(Name)]
public sealed class StructuredModeAppHost : ICollectionFixture<StructuredModeAppHostFixture>
{
    public const string Name = "AppHost writing structured-mode records";
}

/// <summary>With Ingestion:KafkaContentMode=Structured, the same consumer stores what the API accepted.</summary>
[Collection(StructuredModeAppHost.Name)]
public sealed class StructuredModeTests(StructuredModeAppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task TheApiWritesWholeJsonEventsAndTheConsumerStoresEveryOneWithItsAttributes()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var run = Guid.NewGuid().ToString("N");
        var ids = Enumerable.Range(0, 40).Select(i => $"structured-{run}-{i:D2}").ToList();
        // JSON data, and text data of another media type (which travels as data_base64).
        var body = "[" + string.Join(",", ids.Select((id, i) => i % 4 == 3
            ? $$$"""{"specversion":"1.0","id":"{{{id}}}","source":"urn:shop","type":"order.note","partitionkey":"k-{{{i % 5}}}","tenant":"acme","datacontenttype":"text/plain","data":"note {{{i}}}"}"""
            : $$$"""{"specversion":"1.0","id":"{{{id}}}","source":"urn:shop","type":"order.created","partitionkey":"k-{{{i % 5}}}","tenant":"acme","data":{"i":{{{i}}}}}""")) + "]";

        using var response = await fixture.Api.PostAsync("/events", new StringContent(body, Encoding.UTF8, "application/cloudevents-batch+json"), timeout.Token);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var first = (await response.Content.ReadFromJsonAsync<JsonElement>(timeout.Token)).GetProperty("results")[0];
        var record = ReadRecord(first.GetProperty("partition").GetInt32(), first.GetProperty("offset").GetInt64(), timeout.Token);
        Assert.True(record.Message.Headers.TryGetLastBytes("content-type", out var contentType));
        Assert.Equal(CloudEventKafkaBinding.StructuredContentType, Encoding.UTF8.GetString(contentType));
        Assert.False(record.Message.Headers.TryGetLastBytes("ce_id", out _));
        Assert.Equal(ids[0], JsonDocument.Parse(record.Message.Value).RootElement.GetProperty("id").GetString());

        await Waiting.UntilAsync(ct => fixture.QueryProcessedAsync(ids, ct), times => times.Count == ids.Count && times.Values.All(t => t == 1),
            Timeout, "the consumer to store the structured-mode records");
        var stored = await ReadStoredAsync(run, timeout.Token);
        Assert.Equal(ids, stored.Keys.Order());
        for (var i = 0; i < ids.Count; i++)
        {
            var (type, source, key, storedType, payload) = stored[ids[i]];
            Assert.Equal("urn:shop", source);
            Assert.Equal($"k-{i % 5}", key);
            if (i % 4 == 3)
            {
                Assert.Equal(("order.note", "text/plain", $"note {i}"), (type, storedType, payload));
            }
            else
            {
                Assert.Equal(("order.created", "application/json"), (type, storedType));
                Assert.Equal(i, JsonDocument.Parse(payload).RootElement.GetProperty("i").GetInt32());
            }
        }
    }

    private ConsumeResult<string?, byte[]> ReadRecord(int partition, long offset, CancellationToken cancellationToken)
    {
        using var consumer = new ConsumerBuilder<string?, byte[]>(new ConsumerConfig
        {
            BootstrapServers = fixture.KafkaConnectionString,
            GroupId = $"test-read-{Guid.NewGuid():N}",
            EnableAutoCommit = false,
        }).Build();
        consumer.Assign(new TopicPartitionOffset("events", partition, offset));
        return consumer.Consume(cancellationToken);
    }

    private async Task<Dictionary<string, (string Type, string Source, string? Key, string ContentType, string Payload)>> ReadStoredAsync(string run, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection($"Data Source={fixture.StorePath};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, type, source, partition_key, content_type, payload FROM events WHERE id LIKE $prefix;";
        command.Parameters.AddWithValue("$prefix", $"structured-{run}-%");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new Dictionary<string, (string, string, string?, string, string)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows[reader.GetString(0)] = (reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetString(4), Encoding.UTF8.GetString((byte[])reader.GetValue(5)));
        }

        return rows;
    }
}
