using System.Text;
using System.Text.Json;
using CloudNative.CloudEvents.SystemTextJson;
using Confluent.Kafka;
using KafkaIngestion.Events;

namespace KafkaIngestion.Tests.Events;

/// <summary>
/// The binding's structured content mode, checked against the official CloudEvents SDK (an
/// implementation independent of ours), and the per-record choice of mode when reading.
/// </summary>
public sealed class StructuredModeBindingTests
{
    private static readonly IngestEvent Sample = new(
        Id: "01934c2e-7a9b-7c3d-8e4f-0123456789ab",
        Type: "order.created",
        Source: "/register_event",
        Key: "customer-42",
        Time: new DateTimeOffset(2026, 11, 24, 12, 30, 15, 123, TimeSpan.Zero),
        Data: Encoding.UTF8.GetBytes("""{"orderId":1001,"items":[1,2]}"""));

    private static readonly IngestEvent Rich = Sample with
    {
        Subject = "caf\u00e9/\"42\"",
        DataSchema = "https://example.com/schemas/order",
        DataContentType = "text/csv; charset=utf-8",
        Data = Encoding.UTF8.GetBytes("a,b\n1,2\n"),
        Extensions = [new("tenant", "acme \\ \U0001F600"), new("priority", "3")],
    };

    [Fact]
    public void AnEventSurvivesTheRoundTripThroughAStructuredRecord()
    {
        foreach (var ingestEvent in new[] { Sample, Sample with { Key = null }, Rich })
        {
            var message = CloudEventKafkaBinding.ToMessage(ingestEvent, KafkaContentMode.Structured);

            Assert.True(CloudEventKafkaBinding.TryRead(message, out var read, out var error), error);
            EventAssert.SameEvent(ingestEvent, read);
        }
    }

    [Fact]
    public void TheRecordIsOneJsonEventWithOneContentTypeHeaderAsTheSdkReadsIt()
    {
        var message = CloudEventKafkaBinding.ToMessage(Sample, KafkaContentMode.Structured);

        Assert.Equal("customer-42", message.Key);
        var header = Assert.Single(message.Headers);
        Assert.Equal("content-type", header.Key);
        Assert.Equal("application/cloudevents+json; charset=UTF-8", Encoding.UTF8.GetString(header.GetValueBytes()));

        var cloudEvent = new JsonEventFormatter().DecodeStructuredModeMessage(message.Value, new System.Net.Mime.ContentType("application/cloudevents+json; charset=UTF-8"), null);
        Assert.Equal(Sample.Id, cloudEvent.Id);
        Assert.Equal(Sample.Type, cloudEvent.Type);
        Assert.Equal("/register_event", cloudEvent.Source!.OriginalString);
        Assert.Equal(Sample.Time, cloudEvent.Time);
        Assert.Equal("application/json", cloudEvent.DataContentType);
        Assert.Equal("customer-42", cloudEvent["partitionkey"]);
        // JSON data is a JSON value in the event, not a string holding JSON (JSON format, section 3.1.1).
        var data = Assert.IsType<JsonElement>(cloudEvent.Data);
        Assert.Equal(JsonValueKind.Object, data.ValueKind);
        Assert.Equal(1001, data.GetProperty("orderId").GetInt32());
    }

    [Theory]
    [InlineData("text/csv", "a,b\n1,2\n")]
    [InlineData("application/json", "{not json")] // claims JSON, is not: still a well-formed record
    [InlineData("application/octet-stream", "\u0000\u00ff")]
    public void DataThatIsNotJsonTravelsAsBase64AndComesBackByteForByte(string contentType, string text)
    {
        var ingestEvent = Sample with { DataContentType = contentType, Data = Encoding.Latin1.GetBytes(text) };
        var message = CloudEventKafkaBinding.ToMessage(ingestEvent, KafkaContentMode.Structured);

        using var json = JsonDocument.Parse(message.Value);
        Assert.False(json.RootElement.TryGetProperty("data", out _));
        Assert.Equal(ingestEvent.Data, json.RootElement.GetProperty("data_base64").GetBytesFromBase64());
        Assert.True(CloudEventKafkaBinding.TryRead(message, out var read, out var error), error);
        Assert.Equal(ingestEvent.Data, read!.Data);
    }

    [Fact]
    public void AnEventWithoutDataHasNoDataMember()
    {
        var message = CloudEventKafkaBinding.ToMessage(Sample with { Data = [] }, KafkaContentMode.Structured);

        using var json = JsonDocument.Parse(message.Value);
        Assert.False(json.RootElement.TryGetProperty("data", out _));
        Assert.True(CloudEventKafkaBinding.TryRead(message, out var read, out var error), error);
        Assert.Empty(read!.Data);
    }

    [Fact]
    public void EachRecordIsReadInTheModeItsContentTypeHeaderSays()
    {
        var binary = CloudEventKafkaBinding.ToMessage(Sample with { Id = "binary" });
        var structured = CloudEventKafkaBinding.ToMessage(Sample with { Id = "structured" }, KafkaContentMode.Structured);
        // The media type is matched case-insensitively, and binary-mode headers beside it do not count.
        var shouting = CloudEventKafkaBinding.ToMessage(Sample with { Id = "shouting" }, KafkaContentMode.Structured);
        shouting.Headers = [new Header("ce_id", "ignored"u8.ToArray()), new Header("content-type", "Application/CloudEvents+JSON"u8.ToArray())];

        foreach (var (message, id) in new[] { (binary, "binary"), (structured, "structured"), (shouting, "shouting"), (binary, "binary") })
        {
            Assert.True(CloudEventKafkaBinding.TryRead(message, out var read, out var error), error);
            Assert.Equal(id, read!.Id);
            Assert.Equal(Sample.Data, read.Data);
        }
    }

    [Fact]
    public void AStructuredRecordInAnotherEventFormatIsRefused()
    {
        var message = CloudEventKafkaBinding.ToMessage(Sample, KafkaContentMode.Structured);
        message.Headers = [new Header("content-type", "application/cloudevents+avro"u8.ToArray())];

        Assert.False(CloudEventKafkaBinding.TryRead(message, out var read, out var error));
        Assert.Null(read);
        Assert.Equal("unsupported event format 'application/cloudevents+avro'", error);
    }

    [Fact]
    public void AStructuredRecordFromAnotherProducerIsReadAsTheJsonFormatSays()
    {
        // No datacontenttype (JSON implied), a string as JSON data, null for unset attributes, a
        // number extension, no record key but a partitionkey, and a time in another RFC 3339 form.
        var message = Structured("""
            {"specversion":"1.0","id":"x-1","type":"t","source":"urn:s","subject":null,"time":"2026-11-24T14:30:15+02:00",
             "partitionkey":"k-9","level":5,"urgent":true,"data":"just a string"}
            """);
        message.Key = null;

        Assert.True(CloudEventKafkaBinding.TryRead(message, out var read, out var error), error);
        Assert.Equal("k-9", read!.Key);
        Assert.Null(read.Subject);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 12, 30, 15, TimeSpan.Zero), read.Time);
        Assert.Equal(IngestEvent.JsonContentType, read.DataContentType);
        Assert.Equal("\"just a string\"", Encoding.UTF8.GetString(read.Data));
        Assert.Equal([new("level", "5"), new("urgent", "true")], read.Extensions);

        var text = Structured("""{"specversion":"1.0","id":"x-2","type":"t","source":"urn:s","datacontenttype":"text/plain","data":"caf\u00e9"}""");
        Assert.True(CloudEventKafkaBinding.TryRead(text, out read, out error), error);
        Assert.Equal("caf\u00e9", Encoding.UTF8.GetString(read!.Data));
    }

    [Theory]
    [InlineData("", "has no value")]
    [InlineData("not json", "malformed JSON")]
    [InlineData("""{"specversion":"1.0","id":"x","type":"t","source":"s" """, "malformed JSON")]
    [InlineData("""{"specversion":"1.0","id":"x","type":"t","source":"s"} {}""", "malformed JSON")]
    [InlineData("[1,2]", "must be a JSON object")]
    [InlineData("""{"id":"x","type":"t","source":"s"}""", "missing attribute specversion")]
    [InlineData("""{"specversion":"0.3","id":"x","type":"t","source":"s"}""", "unsupported specversion '0.3'")]
    [InlineData("""{"specversion":"1.0","type":"t","source":"s"}""", "missing one of the required attributes id, type, source")]
    [InlineData("""{"specversion":"1.0","id":7,"type":"t","source":"s"}""", "id must be a string")]
    [InlineData("""{"specversion":"1.0","id":"x","type":"t\u0000","source":"s"}""", "type contains control characters")]
    [InlineData("""{"specversion":"1.0","id":"x","type":"t","source":"s","time":"yesterday"}""", "malformed time 'yesterday'")]
    [InlineData("""{"specversion":"1.0","id":"x","type":"t","source":"s","data":1,"data_base64":"AQ=="}""", "either data or data_base64")]
    [InlineData("""{"specversion":"1.0","id":"x","type":"t","source":"s","data_base64":"***"}""", "data_base64 is not a base64 string")]
    [InlineData("""{"specversion":"1.0","id":"x","type":"t","source":"s","datacontenttype":"text/plain","data":{}}""", "data must be a string")]
    [InlineData("""{"specversion":"1.0","id":"x","type":"t","source":"s","tenant":{"a":1}}""", "extension attribute tenant must be")]
    public void AMalformedStructuredRecordIsRefusedWithTheReasonNotAnException(string value, string expectedReason)
    {
        Assert.False(CloudEventKafkaBinding.TryRead(Structured(value), out var read, out var error));
        Assert.Null(read);
        Assert.Contains(expectedReason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void AStructuredRecordWithInvalidUtf8IsRefusedNotThrown()
    {
        var message = Structured("");
        message.Value = [.. """{"specversion":"1.0","id":"x"""u8, 0xC3, 0x28, .. "\",\"type\":\"t\",\"source\":\"s\"}"u8];

        Assert.False(CloudEventKafkaBinding.TryRead(message, out _, out var error));
        Assert.Contains("malformed JSON", error, StringComparison.Ordinal);
    }

    [Fact]
    public void RecordSizeCountsKeyValueAndHeaderAsTheStructuredRecordCarriesThem()
    {
        var cases = new[]
        {
            Sample, Sample with { Key = null }, Rich, Sample with { Data = [] },
            Sample with { DataContentType = "application/json", Data = "{oops"u8.ToArray() },
            Sample with { DataContentType = "image/png", Data = [1] }, Sample with { DataContentType = "image/png", Data = [1, 2] },
            Sample with { Type = "tab\there\u2028", Source = "<&>'+`", Id = "\u00e9\u4e2d\U0001F600" },
        };
        foreach (var ingestEvent in cases)
        {
            var message = CloudEventKafkaBinding.ToMessage(ingestEvent, KafkaContentMode.Structured);
            var expected = (message.Key is null ? 0 : Encoding.UTF8.GetByteCount(message.Key)) + message.Value.Length
                + message.Headers.Sum(h => Encoding.UTF8.GetByteCount(h.Key) + h.GetValueBytes().Length);

            Assert.Equal(expected, CloudEventKafkaBinding.RecordSize(ingestEvent, KafkaContentMode.Structured));
        }
    }

    private static Message<string?, byte[]> Structured(string value) => new()
    {
        Key = "k",
        Value = Encoding.UTF8.GetBytes(value),
        Headers = [new Header("content-type", "application/cloudevents+json; charset=UTF-8"u8.ToArray())],
    };
}
