using System.Text;
using Confluent.Kafka;
using KafkaIngestion.Events;

namespace KafkaIngestion.Tests.Events;

public sealed class CloudEventKafkaBindingTests
{
    private static readonly IngestEvent Sample = new(
        Id: "01934c2e-7a9b-7c3d-8e4f-0123456789ab",
        Type: "order.created",
        Source: "/register_event",
        Key: "customer-42",
        Time: new DateTimeOffset(2026, 11, 24, 12, 30, 15, 123, TimeSpan.Zero),
        Data: Encoding.UTF8.GetBytes("""{"orderId":1001}"""));

    [Fact]
    public void AnEventSurvivesTheRoundTripThroughARecord()
    {
        var message = CloudEventKafkaBinding.ToMessage(Sample);

        Assert.True(CloudEventKafkaBinding.TryRead(message, out var read, out var error), error);
        EventAssert.SameEvent(Sample, read);
        Assert.Equal(IngestEvent.JsonContentType, read!.DataContentType);
    }

    [Fact]
    public void TheRecordFollowsTheCloudEventsKafkaBindingInBinaryMode()
    {
        var message = CloudEventKafkaBinding.ToMessage(Sample);

        Assert.Equal("customer-42", message.Key);
        Assert.Equal(Sample.Data, message.Value);
        Assert.Equal("1.0", HeaderText(message, "ce_specversion"));
        Assert.Equal(Sample.Id, HeaderText(message, "ce_id"));
        Assert.Equal("order.created", HeaderText(message, "ce_type"));
        Assert.Equal("/register_event", HeaderText(message, "ce_source"));
        Assert.Equal("2026-11-24T12:30:15.1230000+00:00", HeaderText(message, "ce_time"));
        Assert.Equal("application/json", HeaderText(message, "content-type"));
    }

    [Fact]
    public void OptionalAttributesAndExtensionsSurviveTheRoundTrip()
    {
        var rich = Sample with
        {
            Subject = "order/1001",
            DataSchema = "https://schemas.example.com/order.json",
            DataContentType = "text/csv",
            Extensions = [new("tenant", "acme"), new("priority", "3")],
        };

        Assert.True(CloudEventKafkaBinding.TryRead(CloudEventKafkaBinding.ToMessage(rich), out var read, out var error), error);

        Assert.Equal("order/1001", read!.Subject);
        Assert.Equal("https://schemas.example.com/order.json", read.DataSchema);
        Assert.Equal("text/csv", read.DataContentType);
        Assert.Equal(rich.Extensions, read.Extensions);
    }

    [Fact]
    public void AnEventWithoutKeyGetsANullRecordKey()
    {
        var message = CloudEventKafkaBinding.ToMessage(Sample with { Key = null });

        Assert.Null(message.Key);
    }

    [Theory]
    [InlineData("ce_specversion", "missing header ce_specversion")]
    [InlineData("ce_id", "missing one of the required headers")]
    [InlineData("ce_type", "missing one of the required headers")]
    [InlineData("ce_source", "missing one of the required headers")]
    public void ARecordMissingARequiredHeaderIsRefusedWithTheReason(string header, string expectedReason)
    {
        var message = CloudEventKafkaBinding.ToMessage(Sample);
        message.Headers.Remove(header);

        Assert.False(CloudEventKafkaBinding.TryRead(message, out var read, out var error));
        Assert.Null(read);
        Assert.Contains(expectedReason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void ARecordOfAnotherSpecVersionIsRefused()
    {
        var message = CloudEventKafkaBinding.ToMessage(Sample);
        message.Headers.Remove("ce_specversion");
        message.Headers.Add("ce_specversion", Encoding.UTF8.GetBytes("0.3"));

        Assert.False(CloudEventKafkaBinding.TryRead(message, out _, out var error));
        Assert.Contains("'0.3'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ARecordWithAMalformedTimeIsRefused()
    {
        var message = CloudEventKafkaBinding.ToMessage(Sample);
        message.Headers.Remove("ce_time");
        message.Headers.Add("ce_time", Encoding.UTF8.GetBytes("yesterday"));

        Assert.False(CloudEventKafkaBinding.TryRead(message, out _, out var error));
        Assert.Contains("ce_time", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ARecordWithControlCharactersInAnAttributeIsRefused()
    {
        var message = CloudEventKafkaBinding.ToMessage(Sample);
        message.Headers.Remove("ce_type");
        message.Headers.Add("ce_type", Encoding.UTF8.GetBytes("order\0created"));

        Assert.False(CloudEventKafkaBinding.TryRead(message, out _, out var error));
        Assert.Contains("control characters", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2026-11-24T12:30:15.1230000+00:00", "2026-11-24T12:30:15.1230000+00:00")]
    [InlineData("2026-11-24T14:30:15.1230000+02:00", "2026-11-24T12:30:15.1230000+00:00")]
    [InlineData("2026-11-24T12:30:15Z", "2026-11-24T12:30:15.0000000+00:00")]
    [InlineData("2026-11-24T12:30:15.5+01:00", "2026-11-24T11:30:15.5000000+00:00")]
    public void ATimeInRoundTripOrAnotherIsoFormReadsAsTheSameInstant(string header, string expectedUtc)
    {
        var message = CloudEventKafkaBinding.ToMessage(Sample);
        message.Headers.Remove("ce_time");
        message.Headers.Add("ce_time", Encoding.UTF8.GetBytes(header));

        Assert.True(CloudEventKafkaBinding.TryRead(message, out var read, out var error), error);
        Assert.Equal(DateTimeOffset.Parse(expectedUtc, System.Globalization.CultureInfo.InvariantCulture), read!.Time);
    }

    [Theory]
    [InlineData("ce_id", "id\u001f")]
    [InlineData("ce_source", "urn:\u007f")]
    [InlineData("ce_subject", "next\u0085line")]
    public void EveryControlCharacterCharIsControlKnowsIsRefused(string header, string escaped)
    {
        var value = System.Text.RegularExpressions.Regex.Unescape(escaped);
        Assert.Contains(value, char.IsControl);
        var message = CloudEventKafkaBinding.ToMessage(Sample);
        message.Headers.Remove(header);
        message.Headers.Add(header, Encoding.UTF8.GetBytes(value));

        Assert.False(CloudEventKafkaBinding.TryRead(message, out _, out var error));
        Assert.Equal($"{header} contains control characters", error);
    }

    [Fact]
    public void ARecordWithNoHeadersAtAllIsRefused()
    {
        var message = new Message<string?, byte[]> { Key = null, Value = [1, 2, 3] };

        Assert.False(CloudEventKafkaBinding.TryRead(message, out _, out var error));
        Assert.NotNull(error);
    }

    private static string? HeaderText(Message<string?, byte[]> message, string name) =>
        message.Headers.TryGetLastBytes(name, out var value) ? Encoding.UTF8.GetString(value) : null;

    [Fact]
    public void RecordSizeCountsKeyDataAndEveryHeaderAsTheRecordCarriesThem()
    {
        var rich = Sample with
        {
            DataContentType = "text/plain; charset=utf-8",
            Subject = "caf\u00e9/42",
            DataSchema = "https://example.com/schemas/order",
            Extensions = [new("tenant", "acme"), new("region", "\u00fcber-north")],
        };

        foreach (var ingestEvent in new[] { Sample, Sample with { Key = null }, rich })
        {
            var message = CloudEventKafkaBinding.ToMessage(ingestEvent);
            var expected = (message.Key is null ? 0 : Encoding.UTF8.GetByteCount(message.Key)) + message.Value.Length
                + message.Headers.Sum(h => Encoding.UTF8.GetByteCount(h.Key) + h.GetValueBytes().Length);

            Assert.Equal(expected, CloudEventKafkaBinding.RecordSize(ingestEvent));
        }
    }
}
