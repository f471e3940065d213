using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using KafkaIngestion.Api;
using KafkaIngestion.EmbeddedKafka;
using KafkaIngestion.Events;
using KafkaIngestion.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaIngestion.Tests.Api;

/// <summary>The API in the test process, writing to an embedded broker of its own.</summary>
public sealed class CompressedBodyApi : IAsyncLifetime
{
    public const string Key = "compressed-body-test-key-0123456789";

    private EmbeddedKafkaBroker? _broker;
    private WebApplicationFactory<IngestionGate>? _factory;

    public string BootstrapServers => _broker!.BootstrapServers;

    public HttpClient Client { get; private set; } = null!;

    internal IngestionCounters Counters => _factory!.Services.GetRequiredService<IngestionCounters>();

    public Task InitializeAsync()
    {
        _broker = EmbeddedKafkaBroker.Start([new KafkaTopic("events", 3)], 0, NullLogger.Instance);
        _factory = new WebApplicationFactory<IngestionGate>().WithWebHostBuilder(host => host
            .UseSetting("ConnectionStrings:kafka", _broker.BootstrapServers)
            .UseSetting("Ingestion:ApiKeys:0", Key)
            .UseSetting("WarmUp:Enabled", "false"));
        Client = _factory.CreateClient();
        Client.DefaultRequestHeaders.Add("X-Api-Key", Key);
        Client.Timeout = TimeSpan.FromSeconds(60);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }
}

/// <summary>
/// Compressed bodies through the whole API, in every mode, to a real (embedded) broker: what is
/// stored is the decoded body; bombs, corrupt streams and unknown codings are refused and counted.
/// </summary>
public sealed class CompressedBodyApiTests(CompressedBodyApi api) : IClassFixture<CompressedBodyApi>
{
    public static TheoryData<string> Headers => ["gzip", "br", "zstd", "deflate", "GZip", "x-gzip", "gzip, identity", "identity"];

    public static TheoryData<string> Codings => ["gzip", "br", "zstd", "deflate"];

    [Theory]
    [MemberData(nameof(Headers))]
    public async Task ASimpleEventIsStoredDecoded(string header)
    {
        var data = $$"""{"coding":"{{header}}","note":"{{new string('z', 300)}}"}""";
        using var response = await PostAsync("/register_event", "application/json", header, $$"""{"type":"compressed.single","data":{{data}}}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = (await response.Content.ReadFromJsonAsync<EventAccepted>())!;
        Assert.Equal(data, Encoding.UTF8.GetString(ReadRecord(accepted.Partition, accepted.Offset).Message.Value));
    }

    [Theory]
    [MemberData(nameof(Codings))]
    public async Task AStructuredCloudEventIsStoredDecoded(string header)
    {
        using var response = await PostAsync("/events", "application/cloudevents+json", header,
            """{"specversion":"1.0","id":"structured-HEADER","source":"urn:t","type":"compressed.structured","data":{"n":1}}""".Replace("HEADER", header, StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = (await response.Content.ReadFromJsonAsync<EventAccepted>())!;
        var record = ReadRecord(accepted.Partition, accepted.Offset);
        Assert.Equal($"structured-{header}", Encoding.UTF8.GetString(record.Message.Headers.GetLastBytes("ce_id")));
        Assert.Equal("""{"n":1}""", Encoding.UTF8.GetString(record.Message.Value));
    }

    [Theory]
    [MemberData(nameof(Codings))]
    public async Task EveryEventOfACompressedBatchIsAccepted(string header)
    {
        var batch = "[" + string.Join(",", Enumerable.Range(0, 1_000).Select(i =>
            $$$"""{"specversion":"1.0","source":"urn:t","type":"compressed.batch","partitionkey":"k-{{{i % 10}}}","data":{"n":{{{i}}}}}""")) + "]";

        using var response = await PostAsync("/events", "application/cloudevents-batch+json", header, batch);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(1_000, answer.RootElement.GetProperty("accepted").GetInt32());
    }

    [Theory]
    [MemberData(nameof(Codings))]
    public async Task InBinaryModeTheDecodedBodyIsTheEventsData(string header)
    {
        var data = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat($"binary data sent as {header}; ", 40)));
        Assert.True(ContentCodings.TryParse(header, out var coding));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/events") { Content = Content("text/plain", header, coding.Compress(data, CompressionLevel.Optimal)) };
        request.Headers.Add("ce-specversion", "1.0");
        request.Headers.Add("ce-id", $"binary-{header}");
        request.Headers.Add("ce-source", "urn:t");
        request.Headers.Add("ce-type", "compressed.binary");

        using var response = await api.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = (await response.Content.ReadFromJsonAsync<EventAccepted>())!;
        var record = ReadRecord(accepted.Partition, accepted.Offset);
        Assert.Equal(data, record.Message.Value);
        Assert.Equal("text/plain", Encoding.UTF8.GetString(record.Message.Headers.GetLastBytes("content-type")));
    }

    [Theory]
    [MemberData(nameof(Codings))]
    public async Task ABombIsRefused413AndCounted(string header)
    {
        Assert.True(ContentCodings.TryParse(header, out var coding));
        var bomb = BodyDecoderTests.Zeros(coding, 1024); // 1 GiB of zeros: ~1 MB as gzip, far less as br or zstd
        var before = api.Counters.Rejected.GetValueOrDefault(RejectionReasons.BodyTooLarge);

        using var response = await api.Client.PostAsync("/events", Content("application/cloudevents-batch+json", header, bomb));

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, $"{header}-decoded, is larger than 8388608 bytes");
        Assert.Equal(before + 1, api.Counters.Rejected[RejectionReasons.BodyTooLarge]);
    }

    [Theory]
    [MemberData(nameof(Codings))]
    public async Task ATruncatedStreamIsRefused400AndCounted(string header)
    {
        Assert.True(ContentCodings.TryParse(header, out var coding));
        var whole = coding.Compress(Encoding.UTF8.GetBytes("""{"type":"truncated","data":{"text":"NOT ALL OF IT ARRIVED"}}"""), CompressionLevel.Optimal);
        var before = api.Counters.Rejected.GetValueOrDefault(RejectionReasons.UndecodableBody);

        using var response = await api.Client.PostAsync("/register_event", Content("application/json", header, whole[..^3]));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, $"valid {coding.Name()} stream");
        Assert.Equal(before + 1, api.Counters.Rejected[RejectionReasons.UndecodableBody]);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("zstd")]
    public async Task BytesThatAreNoStreamOrNoBytesAtAllAreRefused400(string header)
    {
        using var plain = await api.Client.PostAsync("/register_event", Content("application/json", header, """{"type":"not.compressed"}"""u8.ToArray()));
        using var empty = await api.Client.PostAsync("/register_event", Content("application/json", header, []));

        await AssertProblemAsync(plain, HttpStatusCode.BadRequest, "stream");
        await AssertProblemAsync(empty, HttpStatusCode.BadRequest, "empty body");
    }

    [Theory]
    [InlineData("/register_event", "compress")]
    [InlineData("/events", "lz4")]
    [InlineData("/events", "gzip, br")]
    public async Task AnUnknownCodingOrTwoAreRefused415WithAcceptEncoding(string path, string header)
    {
        var before = api.Counters.Rejected.GetValueOrDefault(RejectionReasons.UnsupportedEncoding);

        using var response = await PostAsync(path, path == "/events" ? "application/cloudevents+json" : "application/json", header, "{}", encode: false);

        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "gzip, br, zstd, deflate, identity");
        Assert.True(response.Headers.NonValidated.TryGetValues("Accept-Encoding", out var acceptEncoding));
        Assert.Equal("gzip, br, zstd, deflate, identity", acceptEncoding.ToString());
        Assert.Equal(before + 1, api.Counters.Rejected[RejectionReasons.UnsupportedEncoding]);
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string contentType, string header, string body, bool encode = true)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        if (encode && ContentCodings.TryParse(header.Split(',')[0].Trim(), out var coding))
        {
            bytes = coding.Compress(bytes, CompressionLevel.Optimal);
        }

        return await api.Client.PostAsync(path, Content(contentType, header, bytes));
    }

    private static ByteArrayContent Content(string contentType, string contentEncoding, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        Assert.True(content.Headers.TryAddWithoutValidation("Content-Encoding", contentEncoding));
        return content;
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detailContains)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(body);
        Assert.Equal((int)status, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Contains(detailContains, problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private ConsumeResult<Ignore, byte[]> ReadRecord(int partition, long offset)
    {
        using var consumer = new ConsumerBuilder<Ignore, byte[]>(new ConsumerConfig { BootstrapServers = api.BootstrapServers, GroupId = "compressed-body-test" }).Build();
        consumer.Assign(new TopicPartitionOffset("events", partition, offset));
        var record = consumer.Consume(TimeSpan.FromSeconds(20));
        Assert.NotNull(record);
        return record;
    }
}
