using System.Buffers.Binary;
using System.Text;
using Confluent.Kafka;

namespace KafkaIngestion.Consumer.Consuming;

/// <summary>
/// What a record must keep while its event waits for the store: enough to move it to the
/// dead-letter topic unchanged (key, value, every header in order, where it was read). The
/// headers are packed into one array: Confluent.Kafka hands each header over as three objects,
/// and a batch's worth of those, kept alive through the store queue, made every collection
/// copy them (BENCHMARKS.md, "Consumer drain rate").
/// </summary>
internal sealed class RecordCopy
{
    private readonly byte[]? _headers;

    private RecordCopy(string topic, int partition, long offset, string? key, byte[] value, byte[]? headers)
    {
        Topic = topic;
        Partition = partition;
        Offset = offset;
        Key = key;
        Value = value;
        _headers = headers;
    }

    public string Topic { get; }

    public int Partition { get; }

    public long Offset { get; }

    public string? Key { get; }

    public byte[] Value { get; }

    public TopicPartitionOffset TopicPartitionOffset => new(Topic, Partition, Offset);

    public static RecordCopy Of(ConsumeResult<string?, byte[]> record) => new(
        record.Topic,
        record.Partition.Value,
        record.Offset.Value,
        record.Message.Key,
        record.Message.Value ?? [],
        Pack(record.Message.Headers));

    /// <summary>The record's headers as Confluent.Kafka takes them for a new message, in their order.</summary>
    public Headers UnpackHeaders()
    {
        var headers = new Headers();
        var rest = _headers.AsSpan();
        while (!rest.IsEmpty)
        {
            var keyLength = BinaryPrimitives.ReadInt32LittleEndian(rest);
            var key = Encoding.UTF8.GetString(rest.Slice(4, keyLength));
            rest = rest[(4 + keyLength)..];
            var valueLength = BinaryPrimitives.ReadInt32LittleEndian(rest);
            rest = rest[4..];
            if (valueLength < 0)
            {
                headers.Add(key, null);
                continue;
            }

            headers.Add(key, rest[..valueLength].ToArray());
            rest = rest[valueLength..];
        }

        return headers;
    }

    // Each header as: key length, key (UTF-8), value length (-1 for a null value), value.
    private static byte[]? Pack(Headers? headers)
    {
        if (headers is null || headers.Count == 0)
        {
            return null;
        }

        var size = 0;
        for (var i = 0; i < headers.Count; i++)
        {
            size += 8 + Encoding.UTF8.GetByteCount(headers[i].Key) + (headers[i].GetValueBytes()?.Length ?? 0);
        }

        var packed = new byte[size];
        var rest = packed.AsSpan();
        for (var i = 0; i < headers.Count; i++)
        {
            var keyLength = Encoding.UTF8.GetBytes(headers[i].Key, rest[4..]);
            BinaryPrimitives.WriteInt32LittleEndian(rest, keyLength);
            rest = rest[(4 + keyLength)..];
            var value = headers[i].GetValueBytes();
            BinaryPrimitives.WriteInt32LittleEndian(rest, value?.Length ?? -1);
            rest = rest[4..];
            value.AsSpan().CopyTo(rest);
            rest = rest[(value?.Length ?? 0)..];
        }

        return packed;
    }
}
