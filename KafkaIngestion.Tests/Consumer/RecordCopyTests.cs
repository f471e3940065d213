using System.Text;
using Confluent.Kafka;
using KafkaIngestion.Consumer.Consuming;

namespace KafkaIngestion.Tests.Consumer;

/// <summary>A record kept for the dead-letter topic must come back exactly as it was read.</summary>
public sealed class RecordCopyTests
{
    private static ConsumeResult<string?, byte[]> Record(Headers? headers, string? key = "k", byte[]? value = null) => new()
    {
        Topic = "events",
        Partition = 3,
        Offset = 42,
        Message = new Message<string?, byte[]> { Key = key, Value = value ?? "{\"a\":1}"u8.ToArray(), Headers = headers },
    };

    [Fact]
    public void EveryHeaderComesBackInOrderWithItsExactBytes()
    {
        var headers = new Headers
        {
            { "ce_id", "e-1"u8.ToArray() },
            { "ce_type", Encoding.UTF8.GetBytes("commande.créée") },
            { "empty", [] },
            { "nothing", null },
            { "ce_id", "repeated"u8.ToArray() },
            { "clé-ünicode", [0, 255, 10] },
        };

        var copy = RecordCopy.Of(Record(headers));
        var back = copy.UnpackHeaders();

        Assert.Equal(headers.Count, back.Count);
        for (var i = 0; i < headers.Count; i++)
        {
            Assert.Equal(headers[i].Key, back[i].Key);
            Assert.Equal(headers[i].GetValueBytes(), back[i].GetValueBytes());
        }
    }

    [Fact]
    public void WhereItWasReadAndItsKeyAndValueAreKept()
    {
        var value = "{\"orderId\":7}"u8.ToArray();

        var copy = RecordCopy.Of(Record(null, key: null, value: value));

        Assert.Equal(("events", 3, 42L, (string?)null), (copy.Topic, copy.Partition, copy.Offset, copy.Key));
        Assert.Same(value, copy.Value);
        Assert.Equal(new TopicPartitionOffset("events", 3, 42), copy.TopicPartitionOffset);
        Assert.Empty(copy.UnpackHeaders());
    }

    [Fact]
    public void ARecordWithoutHeadersGivesAnEmptyList()
    {
        Assert.Empty(RecordCopy.Of(Record([])).UnpackHeaders());
    }
}
