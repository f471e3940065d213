using System.Buffers;
using System.IO.Compression;
using KafkaIngestion.Http;
using System.Net.Http.Headers;
using System.Text.Json;
using Google.Protobuf;
using KafkaIngestion.IngestGrpc;

namespace KafkaIngestion.LoadGen;

/// <summary>One request's body (compressed when the run asks for it) and the ids of the events in it.</summary>
/// <param name="IsBatch">Sent in CloudEvents batch mode: the answer lists each event's outcome.</param>
/// <param name="Message">Over gRPC: the <see cref="CloudEvent"/> or <see cref="CloudEventBatch"/> to send (the content is then empty).</param>
internal sealed record RequestBody(byte[] Content, MediaTypeHeaderValue ContentType, string[] EventIds, bool IsBatch, IMessage? Message = null);

/// <summary>
/// Generates a run's events: order-like data of about <see cref="LoadGenOptions.PayloadBytes"/>,
/// keys spread over <see cref="LoadGenOptions.Keys"/>, and ids that start with the run id so the
/// run can be found downstream. No <c>time</c> is sent: the API stamps the time it accepted each
/// event, which verification uses to measure acceptance-to-storage latency.
/// </summary>
internal sealed class EventFactory
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private static readonly MediaTypeHeaderValue StructuredEvent = new("application/cloudevents+json");
    private static readonly MediaTypeHeaderValue EventBatch = new("application/cloudevents-batch+json");
    private static readonly MediaTypeHeaderValue Protobuf = new("application/grpc");
    private static readonly string[] Currencies = ["EUR", "USD", "GBP", "JPY", "CHF"];

    private readonly string _runId;
    private readonly LoadGenOptions _options;
    private readonly string _note;
    private readonly ContentCoding _coding;

    public EventFactory(string runId, LoadGenOptions options)
    {
        _runId = runId;
        _options = options;
        _coding = options.Coding;
        // The fixed fields take about 110 bytes; the note brings each event's data to the size asked for.
        _note = new string('x', Math.Max(0, options.PayloadBytes - 110));
    }

    public static string EventId(string runId, long sequence) => $"{runId}-{sequence:D10}";

    // One writer and buffer per thread, reused for every request it builds: at tens of thousands
    // of requests per second, a new writer and buffer per request is most of what the generator
    // allocates, and its GC work is CPU taken from the target. Request never awaits, so a
    // thread's pair is never shared between two requests.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_json;

    /// <summary>The body of request number <paramref name="request"/>: <paramref name="count"/> events from request·B on.</summary>
    public RequestBody Request(long request, int count)
    {
        if (_options.Protocol == LoadGenOptions.GrpcProtocol)
        {
            return ProtoRequest(request, count);
        }

        var first = request * _options.BatchSize;
        var ids = new string[count];
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var json = t_json ??= new Utf8JsonWriter(buffer);
        json.Reset(buffer);
        if (_options.BatchSize > 1)
        {
            json.WriteStartArray();
        }

        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = EventId(_runId, first + i);
            WriteEvent(json, ids[i], first + i);
        }

        if (_options.BatchSize > 1)
        {
            json.WriteEndArray();
        }

        json.Flush();
        var contentType = _options.Format == LoadGenOptions.SimpleFormat ? Json : _options.BatchSize > 1 ? EventBatch : StructuredEvent;
        var content = _coding == ContentCoding.Identity ? buffer.WrittenSpan.ToArray() : _coding.Compress(buffer.WrittenSpan, CompressionLevel.Fastest);
        return new RequestBody(content, contentType, ids, _options.BatchSize > 1);
    }

    private void WriteEvent(Utf8JsonWriter json, string id, long sequence)
    {
        // customer-N, formatted on the stack: no string per event.
        Span<char> key = stackalloc char[32];
        "customer-".CopyTo(key);
        (sequence % _options.Keys).TryFormat(key[9..], out var digits, provider: System.Globalization.CultureInfo.InvariantCulture);
        key = key[..(9 + digits)];
        json.WriteStartObject();
        if (_options.Format == LoadGenOptions.SimpleFormat)
        {
            json.WriteString("id", id);
            json.WriteString("type", "loadgen.order.placed");
            json.WriteString("source", "/loadgen");
            json.WriteString("key", key);
        }
        else
        {
            json.WriteString("specversion", "1.0");
            json.WriteString("id", id);
            json.WriteString("type", "loadgen.order.placed");
            json.WriteString("source", "/loadgen");
            json.WriteString("partitionkey", key);
            json.WriteString("datacontenttype", "application/json");
        }

        json.WritePropertyName("data");
        WriteData(json, sequence, key);
        json.WriteEndObject();
    }

    private void WriteData(Utf8JsonWriter json, long sequence, ReadOnlySpan<char> key)
    {
        json.WriteStartObject();
        json.WriteString("runId", _runId);
        json.WriteNumber("sequence", sequence);
        json.WriteString("customer", key);
        json.WriteNumber("amount", sequence % 99_991 / 100.0);
        json.WriteString("currency", Currencies[sequence % Currencies.Length]);
        json.WriteNumber("items", 1 + sequence % 7);
        json.WriteString("note", _note);
        json.WriteEndObject();
    }

    /// <summary>
    /// Over gRPC: the same events as CloudEvent messages (the JSON data as text_data), one for a
    /// stream or a CloudEventBatch for PublishBatch.
    /// </summary>
    private RequestBody ProtoRequest(long request, int count)
    {
        var first = request * _options.BatchSize;
        var ids = new string[count];
        var events = new CloudEvent[count];
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        for (var i = 0; i < count; i++)
        {
            ids[i] = EventId(_runId, first + i);
            buffer.ResetWrittenCount();
            var json = t_json ??= new Utf8JsonWriter(buffer);
            json.Reset(buffer);
            var key = Key(first + i);
            WriteData(json, first + i, key);
            json.Flush();
            events[i] = new CloudEvent
            {
                Id = ids[i],
                Source = "/loadgen",
                SpecVersion = "1.0",
                Type = "loadgen.order.placed",
                TextData = System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan),
                Attributes =
                {
                    ["partitionkey"] = new CloudEventAttributeValue { CeString = key },
                    ["datacontenttype"] = new CloudEventAttributeValue { CeString = "application/json" },
                },
            };
        }

        IMessage message = _options.BatchSize > 1 ? new CloudEventBatch { Events = { events } } : events[0];
        return new RequestBody([], Protobuf, ids, _options.BatchSize > 1, message);
    }

    private string Key(long sequence) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"customer-{sequence % _options.Keys}");
}
