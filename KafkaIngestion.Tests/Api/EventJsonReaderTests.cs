using System.Text;
using System.Text.Json;
using KafkaIngestion.Api.Input;
using KafkaIngestion.Events;

namespace KafkaIngestion.Tests.Api;

public sealed class EventJsonReaderTests
{
    private static readonly EventDefaults Defaults = new("/register_event", new DateTimeOffset(2026, 11, 24, 17, 0, 0, TimeSpan.Zero), MaxEventBytes: 1024);

    private static EventReadResult Simple(string json) => EventJsonReader.ReadSingle(Encoding.UTF8.GetBytes(json), EventJsonShape.Simple, Defaults);

    private static EventReadResult Structured(string json) => EventJsonReader.ReadSingle(Encoding.UTF8.GetBytes(json), EventJsonShape.CloudEvent, Defaults);

    private static EventReadResult Batch(string json, int maxEvents = 100) => EventJsonReader.ReadBatch(Encoding.UTF8.GetBytes(json), Defaults, maxEvents);

    private static IngestEvent Single(EventReadResult result)
    {
        Assert.Empty(result.Problems.ToDictionary());
        return Assert.IsType<IngestEvent>(Assert.Single(result.Events));
    }

    [Fact]
    public void ASimpleEventWithOnlyATypeGetsAnIdASourceAndATime()
    {
        var ingestEvent = Single(Simple("""{"type":"order.created"}"""));

        Assert.Equal("order.created", ingestEvent.Type);
        Assert.Equal(7, Guid.Parse(ingestEvent.Id).Version);
        Assert.Equal("/register_event", ingestEvent.Source);
        Assert.Equal(Defaults.Now, ingestEvent.Time);
        Assert.Null(ingestEvent.Key);
        Assert.Empty(ingestEvent.Data);
    }

    [Fact]
    public void DataIsKeptExactlyAsSent()
    {
        const string data = """{ "amount": 1.50, "items": [1, 2 ,3], "note": "caf\u00e9" }""";

        var ingestEvent = Single(Simple($$"""{"type":"t","key":"k-1","data": {{data}} }"""));

        Assert.Equal(data, Encoding.UTF8.GetString(ingestEvent.Data));
        Assert.Equal("k-1", ingestEvent.Key);
    }

    [Fact]
    public void AnUnknownSimpleFieldIsRefusedSoThatContentIsNeverDroppedSilently()
    {
        var result = Simple("""{"type":"t","payload":{"a":1}}""");

        Assert.Null(Assert.Single(result.Events));
        Assert.Contains("'data'", result.Problems.ToDictionary()["payload"][0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"data":1}""", "type")]
    [InlineData("""{"type":""}""", "type")]
    [InlineData("""{"type":42}""", "type")]
    [InlineData("""{"type":"t","id":""}""", "id")]
    [InlineData("""{"type":"t","time":"yesterday"}""", "time")]
    [InlineData("""{"type":"a\u0000b"}""", "type")]
    [InlineData("""{"type":"t","key":{"nested":true}}""", "key")]
    public void EachProblemOfASimpleEventIsNamedByItsField(string json, string field)
    {
        var result = Simple(json);

        Assert.Null(Assert.Single(result.Events));
        Assert.True(result.Problems.ToDictionary().ContainsKey(field), $"expected a problem for '{field}'");
    }

    [Fact]
    public void TooLongFieldsAreNamedWithTheirLimits()
    {
        var result = Simple($$"""{"type":"{{new string('t', EventDraft.MaxTypeLength + 1)}}","id":"{{new string('i', EventDraft.MaxIdLength + 1)}}"}""");

        var problems = result.Problems.ToDictionary();
        Assert.Contains($"at most {EventDraft.MaxTypeLength}", problems["type"][0], StringComparison.Ordinal);
        Assert.True(problems.ContainsKey("id"));
    }

    [Fact]
    public void DataLargerThanTheEventLimitIsRefused()
    {
        var result = Simple($$"""{"type":"t","data":"{{new string('x', 2_000)}}"}""");

        Assert.Contains("at most 1024", result.Problems.ToDictionary()["data"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void AStructuredCloudEventKeepsEveryAttribute()
    {
        var ingestEvent = Single(Structured("""
            {
              "specversion": "1.0", "id": "e-1", "source": "urn:shop", "type": "order.created",
              "subject": "order/1001", "time": "2026-11-24T12:00:00.5+01:00",
              "dataschema": "https://schemas.example.com/order.json", "datacontenttype": "application/json",
              "partitionkey": "customer-42", "tenant": "acme", "priority": 3, "urgent": true,
              "data": {"orderId": 1001}
            }
            """));

        Assert.Equal("e-1", ingestEvent.Id);
        Assert.Equal("urn:shop", ingestEvent.Source);
        Assert.Equal("order/1001", ingestEvent.Subject);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 11, 0, 0, 500, TimeSpan.Zero), ingestEvent.Time);
        Assert.Equal("https://schemas.example.com/order.json", ingestEvent.DataSchema);
        Assert.Equal("customer-42", ingestEvent.Key);
        Assert.Equal([new("tenant", "acme"), new("priority", "3"), new("urgent", "true")], ingestEvent.Extensions);
        Assert.Equal("""{"orderId": 1001}""", Encoding.UTF8.GetString(ingestEvent.Data));
    }

    [Fact]
    public void DataBase64IsDecodedAndTextDataIsStoredAsText()
    {
        var binary = Single(Structured("""{"specversion":"1.0","source":"s","type":"t","datacontenttype":"application/octet-stream","data_base64":"AAEC/w=="}"""));
        var text = Single(Structured("""{"specversion":"1.0","source":"s","type":"t","datacontenttype":"text/plain","data":"h\u00e9llo"}"""));

        Assert.Equal([0, 1, 2, 255], binary.Data);
        Assert.Equal("application/octet-stream", binary.DataContentType);
        Assert.Equal("héllo", Encoding.UTF8.GetString(text.Data));
    }

    [Theory]
    [InlineData("""{"source":"s","type":"t"}""", "specversion")]
    [InlineData("""{"specversion":"0.3","source":"s","type":"t"}""", "specversion")]
    [InlineData("""{"specversion":"1.0","type":"t"}""", "source")]
    [InlineData("""{"specversion":"1.0","source":"s","type":"t","data":1,"data_base64":"AA=="}""", "data_base64")]
    [InlineData("""{"specversion":"1.0","source":"s","type":"t","data_base64":"not base64!"}""", "data_base64")]
    [InlineData("""{"specversion":"1.0","source":"s","type":"t","datacontenttype":"text/plain","data":{"a":1}}""", "data")]
    [InlineData("""{"specversion":"1.0","source":"s","type":"t","datacontenttype":"not a media type"}""", "datacontenttype")]
    [InlineData("""{"specversion":"1.0","source":"s","type":"t","dataschema":"relative/path"}""", "dataschema")]
    [InlineData("""{"specversion":"1.0","source":"s","type":"t","dataschema":"http://x/\r\nX: y"}""", "dataschema")]
    [InlineData("""{"specversion":"1.0","source":"s","type":"t","datacontenttype":"text/plain; a=\n"}""", "datacontenttype")]
    [InlineData("""{"specversion":"1.0","source":"s","type":"t","Tenant":"acme"}""", "Tenant")]
    [InlineData("""{"specversion":"1.0","source":"s","type":"t","averyveryverylongextensionname":"x"}""", "averyveryverylongextensionname")]
    [InlineData("""{"specversion":"1.0","source":"s","type":"t","tenant":{"id":1}}""", "tenant")]
    public void EachProblemOfACloudEventIsNamedByItsAttribute(string json, string attribute)
    {
        var result = Structured(json);

        Assert.Null(Assert.Single(result.Events));
        Assert.True(result.Problems.ToDictionary().ContainsKey(attribute), $"expected a problem for '{attribute}'");
    }

    [Fact]
    public void ABatchNamesTheProblemsOfEachEventByIndexAndKeepsTheGoodOnes()
    {
        var result = Batch("""
            [
              {"specversion":"1.0","id":"a","source":"s","type":"t"},
              {"specversion":"1.0","id":"b","source":"s"},
              42,
              {"specversion":"1.0","id":"d","source":"s","type":"t"}
            ]
            """);

        Assert.Equal(["a", null, null, "d"], result.Events.Select(e => e?.Id));
        var problems = result.Problems.ToDictionary();
        Assert.True(problems.ContainsKey("[1].type"));
        Assert.True(problems.ContainsKey("[2]"));
        Assert.Equal(2, problems.Count);
        var byEvent = result.Problems.ByEvent();
        Assert.Equal([1, 2], byEvent.Keys.Order());
        Assert.True(byEvent[1].ContainsKey("type"));
        Assert.True(byEvent[2].ContainsKey("$"));
    }

    [Fact]
    public void ABatchOverTheLimitIsFlaggedWithoutReadingItAll()
    {
        var events = string.Join(",", Enumerable.Repeat("""{"specversion":"1.0","source":"s","type":"t"}""", 4));

        var result = Batch($"[{events}]", maxEvents: 3);

        Assert.True(result.TooManyEvents);
    }

    [Theory]
    [InlineData("[]", "empty")]
    [InlineData("""{"specversion":"1.0"}""", "array")]
    public void ABatchThatIsNotANonEmptyArrayIsRefusedAsAWhole(string json, string expected)
    {
        var result = Batch(json);

        Assert.Contains(expected, result.EnvelopeProblem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"type":"t" """)]
    [InlineData("""{"type":"t"} trailing""")]
    [InlineData("""{"type":"t",}""")]
    [InlineData("""{"type":'t'}""")]
    public void MalformedJsonThrowsSoTheWholeRequestIsRefused(string json)
    {
        Assert.ThrowsAny<JsonException>(() => Simple(json));
    }

    [Fact]
    public void JsonNestedDeeperThanTheLimitIsRefused()
    {
        var deep = new string('[', 100) + new string(']', 100);

        Assert.ThrowsAny<JsonException>(() => Simple($$"""{"type":"t","data":{{deep}}}"""));
    }

    [Fact]
    public void AnEventTooLargeForOneKafkaRecordIsRefusedAlthoughEachAttributeIsWithinItsLimit()
    {
        // 900 bytes of data pass MaxEventBytes (1,024); with 3 KiB of extensions the record does not
        // fit a 4 KiB limit (room is kept for trace context and framing).
        var defaults = Defaults with { MaxRecordBytes = 4096 };
        var extensions = string.Join(",", Enumerable.Range(0, 3).Select(i => $"\"ext{i}\":\"{new string('x', 1000)}\""));
        var big = $$"""{"specversion":"1.0","id":"big","type":"t","source":"/s",{{extensions}},"data":"{{new string('d', 898)}}"}""";
        var small = """{"specversion":"1.0","id":"small","type":"t","source":"/s","data":"ok"}""";

        var result = EventJsonReader.ReadBatch(Encoding.UTF8.GetBytes($"[{small},{big}]"), defaults, 10);

        Assert.IsType<IngestEvent>(result.Events[0]);
        Assert.Null(result.Events[1]);
        var problem = Assert.Single(Assert.Single(result.Problems.ToDictionary(), p => p.Key == "[1].$").Value);
        Assert.Contains("Kafka record", problem, StringComparison.Ordinal);
        Assert.Contains("at most 4096", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"specversion":"1.0","id":"a","source":"urn:x","type":true}""", "type")]
    [InlineData("""{"specversion":"1.0","id":"a","source":7,"type":"t"}""", "source")]
    [InlineData("""{"specversion":"1.0","id":["a"],"source":"urn:x","type":"t"}""", "id")]
    public void AnAttributeOfTheWrongJsonTypeIsAProblemEvenWhenTheRecordSizeIsChecked(string json, string field)
    {
        // Found by the hostile-input campaign: the reader's complaint and the required-attribute
        // check name the same field, and the event was built (and sized) with a null attribute.
        var result = EventJsonReader.ReadSingle(Encoding.UTF8.GetBytes(json), EventJsonShape.CloudEvent, Defaults with { MaxRecordBytes = 1_000_000 });

        Assert.Null(Assert.Single(result.Events));
        Assert.Contains(field, result.Problems.ToDictionary().Keys);
    }
}
