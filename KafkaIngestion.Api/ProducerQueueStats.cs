using System.Text;
using System.Text.Json;

namespace KafkaIngestion.Api;

/// <summary>
/// The producer's queue as librdkafka reports it in its periodic statistics (messages and
/// bytes waiting to be sent or acknowledged). Only two top-level numbers are read, on
/// librdkafka's thread, so the report is never parsed into objects.
/// </summary>
internal sealed class ProducerQueueStats
{
    private long _messages;
    private long _bytes;

    public long Messages => Interlocked.Read(ref _messages);

    public long Bytes => Interlocked.Read(ref _bytes);

    public void Update(string statisticsJson)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(statisticsJson));
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isCount = reader.ValueTextEquals("msg_cnt"u8);
            var isSize = reader.ValueTextEquals("msg_size"u8);
            reader.Read();
            if (isCount && reader.TryGetInt64(out var count))
            {
                Interlocked.Exchange(ref _messages, count);
            }
            else if (isSize && reader.TryGetInt64(out var size))
            {
                Interlocked.Exchange(ref _bytes, size);
            }
            else
            {
                reader.Skip();
            }
        }
    }
}
