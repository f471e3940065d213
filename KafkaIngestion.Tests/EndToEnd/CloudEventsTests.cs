using System.Text;
using System.Text.Json;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.Extensions;
using CloudNative.CloudEvents.Http;
using CloudNative.CloudEvents.SystemTextJson;
using Confluent.Kafka;
using KafkaIngestion.Events;

namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>
/// <c>/events</c> in all three CloudEvents HTTP modes, with requests encoded by the official
/// CloudEvents SDK (an implementation independent of ours), checked in Kafka.
/// </summary>
[Trait("Category", "EndToEnd")]
[Collection(SharedAppHost.Name)]
public sealed class CloudEventsTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly JsonEventFormatter Formatter = new();

    private static CloudEvent Sample(string id, string? partitionKey = null, object? data = null)
    {
        var cloudEvent = new CloudEvent
        {
            Id = id,
            Type = "com.example.order.created",
            Source = new Uri("urn:example:shop"),
            Time = new DateTimeOffset(2026, 11, 24, 17, 30, 0, TimeSpan.Zero),
            Subject = "order/1001",
            DataContentType = "application/json",
            Data = data ?? new { orderId = 1001, amount = 25.5 },
        };
        if (partitionKey is not null)
        {
            cloudEvent.SetPartitionKey(partitionKey);
        }

        return cloudEvent;
    }

    [Fact]
    public async Task AStructuredModeEventIsStoredWithItsAttributes()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var id = $"structured-{Guid.NewGuid():N}";

        using var response = await fixture.Api.PostAsync("/events", Sample(id, "customer-7").ToHttpContent(ContentMode.Structured, Formatter), timeout.Token);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var record = await ReadAcceptedRecordAsync(response, timeout.Token);
        Assert.True(CloudEventKafkaBinding.TryRead(record.Message, out var stored, out var error), error);
        Assert.Equal(id, stored!.Id);
        Assert.Equal("customer-7", record.Message.Key);
        Assert.Equal("urn:example:shop", stored.Source);
        Assert.Equal("order/1001", stored.Subject);
        Assert.Equal(1001, JsonDocument.Parse(stored.Data).RootElement.GetProperty("orderId").GetInt32());
    }

    [Fact]
    public async Task ABinaryModeEventIsStoredWithItsBodyAsData()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var id = $"binary-{Guid.NewGuid():N}";

        using var response = await fixture.Api.PostAsync("/events", Sample(id, "customer-8").ToHttpContent(ContentMode.Binary, Formatter), timeout.Token);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var record = await ReadAcceptedRecordAsync(response, timeout.Token);
        Assert.True(CloudEventKafkaBinding.TryRead(record.Message, out var stored, out var error), error);
        Assert.Equal(id, stored!.Id);
        Assert.Equal("com.example.order.created", stored.Type);
        Assert.Equal("customer-8", record.Message.Key);
        Assert.StartsWith("application/json", stored.DataContentType, StringComparison.Ordinal);
        Assert.Equal(25.5, JsonDocument.Parse(stored.Data).RootElement.GetProperty("amount").GetDouble());
    }

    [Fact]
    public async Task ABatchAnswersEveryEventsPlaceAndTheConsumerProcessesThemAll()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var events = Enumerable.Range(0, 50).Select(i => Sample($"batch-{Guid.NewGuid():N}", $"k-{i % 5}", new { i })).ToList();

        using var response = await fixture.Api.PostAsync("/events", events.ToHttpContent(Formatter), timeout.Token);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var batch = await response.Content.ReadFromJsonAsync<JsonElement>(timeout.Token);
        Assert.Equal(50, batch.GetProperty("accepted").GetInt32());
        var results = batch.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(events.Select(e => e.Id), results.Select(r => r.GetProperty("id").GetString()));
        Assert.All(results, r => Assert.Equal("accepted", r.GetProperty("status").GetString()));
        Assert.All(results, r => Assert.True(r.GetProperty("offset").GetInt64() >= 0));

        var ids = events.Select(e => e.Id!).ToList();
        await Waiting.UntilAsync(ct => fixture.QueryProcessedAsync(ids, ct), times => times.Values.All(t => t == 1), Timeout, "the consumer to process the batch");
    }

    [Fact]
    public async Task EventsWithTheSameKeyKeepTheirOrderInOnePartition()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var key = $"ordered-{Guid.NewGuid():N}";
        var events = Enumerable.Range(0, 30).Select(i => Sample($"{key}-{i:D2}", i % 3 == 0 ? $"other-{i}" : key, new { i })).ToList();

        using var response = await fixture.Api.PostAsync("/events", events.ToHttpContent(Formatter), timeout.Token);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var results = (await response.Content.ReadFromJsonAsync<JsonElement>(timeout.Token)).GetProperty("results").EnumerateArray().ToList();
        var sameKey = results.Where((_, i) => i % 3 != 0).ToList();
        Assert.Single(sameKey.Select(r => r.GetProperty("partition").GetInt32()).Distinct());
        var offsets = sameKey.Select(r => r.GetProperty("offset").GetInt64()).ToList();
        Assert.Equal(offsets.Order(), offsets);
        Assert.Equal(offsets.Count, offsets.Distinct().Count());
    }

    [Fact]
    public async Task ABatchWithSomeBadEventsStoresTheGoodOnesAndSaysWhyEachOtherWasRefused()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var good = $"good-{Guid.NewGuid():N}";
        var body = $$"""
            [
              {"specversion":"1.0","id":"{{good}}","source":"urn:t","type":"t","data":[true]},
              {"specversion":"1.0","id":"no-type","source":"urn:t"},
              {"specversion":"2.0","id":"bad-version","source":"urn:t","type":"t"},
              "not an object"
            ]
            """;

        using var response = await fixture.Api.PostAsync("/events", new StringContent(body, Encoding.UTF8, "application/cloudevents-batch+json"), timeout.Token);

        Assert.Equal(HttpStatusCode.MultiStatus, response.StatusCode);
        var batch = await response.Content.ReadFromJsonAsync<JsonElement>(timeout.Token);
        Assert.Equal(1, batch.GetProperty("accepted").GetInt32());
        Assert.Equal(3, batch.GetProperty("rejected").GetInt32());
        var results = batch.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["accepted", "rejected", "rejected", "rejected"], results.Select(r => r.GetProperty("status").GetString()));
        Assert.True(results[1].GetProperty("errors").TryGetProperty("type", out _));
        Assert.True(results[2].GetProperty("errors").TryGetProperty("specversion", out _));
    }

    [Fact]
    public async Task ABatchOfOnlyBadEventsIsRefusedWith400NamingEachOne()
    {
        using var timeout = new CancellationTokenSource(Timeout);

        using var response = await fixture.Api.PostAsync("/events",
            new StringContent("""[{"specversion":"1.0","source":"urn:t"},{"type":"t"}]""", Encoding.UTF8, "application/cloudevents-batch+json"), timeout.Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>(timeout.Token)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("[0].type", out _));
        Assert.True(errors.TryGetProperty("[1].specversion", out _));
        Assert.True(errors.TryGetProperty("[1].source", out _));
    }

    [Fact]
    public async Task PlainJsonWithoutCloudEventsHeadersGets415()
    {
        using var timeout = new CancellationTokenSource(Timeout);

        using var response = await fixture.Api.PostAsJsonAsync("/events", new { type = "t" }, timeout.Token);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("application/cloudevents+json", await response.Content.ReadAsStringAsync(timeout.Token), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABodyOverTheLimitGets413()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var huge = new string('x', 9 * 1024 * 1024); // the default limit is 8 MiB

        using var request = new HttpRequestMessage(HttpMethod.Post, "/register_event")
        {
            Content = new StringContent($$"""{"type":"t","data":"{{huge}}"}""", Encoding.UTF8, "application/json"),
        };
        // As a well-behaved client does with a large body: the server refuses it before it is sent.
        request.Headers.ExpectContinue = true;

        using var response = await fixture.Api.SendAsync(request, timeout.Token);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task ABatchOverTheEventLimitGets413()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var events = string.Join(",", Enumerable.Repeat("""{"specversion":"1.0","source":"urn:t","type":"t"}""", 5_001));

        using var response = await fixture.Api.PostAsync("/events",
            new StringContent($"[{events}]", Encoding.UTF8, "application/cloudevents-batch+json"), timeout.Token);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("5000", await response.Content.ReadAsStringAsync(timeout.Token), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEventTooLargeForOneKafkaRecordGets400NotARetryable503()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        // Every part within its own limit (900 KiB of data, 32 extensions of 1,024 characters of
        // 3 UTF-8 bytes each), the whole over Kafka's 1 MB record: the broker would refuse it on every resend.
        var extensions = string.Join(",", Enumerable.Range(0, 32).Select(i => $"\"ext{i}\":\"{new string('\u20ac', 1024)}\""));
        var data = new string('d', 900 * 1024 - 2);
        var body = $$"""{"specversion":"1.0","source":"urn:t","type":"t",{{extensions}},"data":"{{data}}"}""";

        using var response = await fixture.Api.PostAsync("/events",
            new StringContent(body, Encoding.UTF8, "application/cloudevents+json"), timeout.Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>(timeout.Token)).GetProperty("errors");
        Assert.Contains("Kafka record", errors.GetProperty("$")[0].GetString(), StringComparison.Ordinal);
    }

    private async Task<ConsumeResult<string?, byte[]>> ReadAcceptedRecordAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var accepted = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        using var consumer = new ConsumerBuilder<string?, byte[]>(new ConsumerConfig
        {
            BootstrapServers = fixture.KafkaConnectionString,
            GroupId = $"test-read-{Guid.NewGuid():N}",
            EnableAutoCommit = false,
        }).Build();
        consumer.Assign(new TopicPartitionOffset("events", accepted.GetProperty("partition").GetInt32(), accepted.GetProperty("offset").GetInt64()));
        return consumer.Consume(cancellationToken);
    }
}
