using System.Text.Json;
using HdrHistogram;
using KafkaIngestion.Api.Input;
using KafkaIngestion.Http;
using KafkaIngestion.LoadGen;
using Microsoft.Extensions.Configuration;

namespace KafkaIngestion.Tests.LoadGen;

public sealed class LoadGenOptionsTests
{
    [Fact]
    public void FlagsBecomeTheLoadGenOptions()
    {
        var parsed = CommandLine.Parse(["--mode", "open", "--rate=5000", "--duration", "90s", "--format", "cloudevents", "--batch", "100",
            "--target", "http://api.example:8080", "--no-verify", "--timeout", "1500ms"]);

        Assert.Empty(parsed.Errors);
        var options = Bind(parsed);
        Assert.Equal(LoadGenOptions.OpenLoop, options.Mode);
        Assert.Equal(5000, options.Rate);
        Assert.Equal(TimeSpan.FromSeconds(90), options.Duration);
        Assert.Equal(100, options.BatchSize);
        Assert.Equal(new Uri("http://api.example:8080"), options.TargetUrl);
        Assert.False(options.Verify);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), options.RequestTimeout);
        Assert.Empty(options.Problems());
    }

    [Fact]
    public void TheClientIsTheGeneratorsOwnUnlessHttpClientIsAskedForAndNothingElseIsTaken()
    {
        Assert.Equal(LoadGenOptions.SocketsClient, new LoadGenOptions().Client);
        Assert.Equal(LoadGenOptions.HttpClientClient, Bind(CommandLine.Parse(["--client", "httpclient"])).Client);
        Assert.Contains(nameof(LoadGenOptions.Client), Bind(CommandLine.Parse(["--client", "curl"])).Problems().Keys);

        // https always goes through HttpClient: the generator's own client speaks plain HTTP/1.1 only.
        var settings = new LoadGenOptions();
        using var http = LoadTransport.For(new Uri("http://127.0.0.1:5080/register_event"), settings, connections: 1);
        using var https = LoadTransport.For(new Uri("https://127.0.0.1:5443/register_event"), settings, connections: 1);
        Assert.IsType<Http1Transport>(http);
        Assert.IsType<HttpClientTransport>(https);
    }

    [Fact]
    public void CompressTakesGzipBrOrZstdAndNothingElse()
    {
        Assert.Equal(LoadGenOptions.NoCompression, new LoadGenOptions().Compress);
        Assert.Equal(ContentCoding.Identity, new LoadGenOptions().Coding);
        Assert.Equal(ContentCoding.Brotli, Bind(CommandLine.Parse(["--compress", "br"])).Coding);
        Assert.Equal(ContentCoding.Zstd, Bind(CommandLine.Parse(["--compress=zstd"])).Coding);
        var problems = Bind(CommandLine.Parse(["--compress", "lz4"])).Problems();
        Assert.Equal("Compress is none, gzip, br or zstd.", Assert.Single(problems[nameof(LoadGenOptions.Compress)]));
        Assert.Contains("--compress none|gzip|br|zstd", CommandLine.HelpText(), StringComparison.Ordinal);
    }

    [Fact]
    public void CompressionIsForHttpBodiesNotGrpcMessages()
    {
        var problems = Bind(CommandLine.Parse(["--protocol", "grpc", "--compress", "gzip"])).Problems();

        Assert.Contains("gRPC messages are sent as they are", Assert.Single(problems[nameof(LoadGenOptions.Compress)]), StringComparison.Ordinal);
        Assert.Empty(Bind(CommandLine.Parse(["--protocol", "grpc"])).Problems());
        Assert.Empty(Bind(CommandLine.Parse(["--http2", "--compress", "gzip"])).Problems());
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    [InlineData("zstd")]
    public void CompressedBatchesAreWhatTheApiDecodesToTheSameEvents(string compress)
    {
        var options = new LoadGenOptions { Format = LoadGenOptions.CloudEventsFormat, BatchSize = 100, Compress = compress };
        var plain = new EventFactory("run3", new LoadGenOptions { Format = LoadGenOptions.CloudEventsFormat, BatchSize = 100 }).Request(2, 100);

        var body = new EventFactory("run3", options).Request(2, 100);

        Assert.True(body.Content.Length * 3 < plain.Content.Length, $"{body.Content.Length} compressed vs {plain.Content.Length}");
        using var decoded = BodyDecoder.Decode(new MemoryStream(body.Content), options.Coding, 8 * 1024 * 1024, 4096, _ => true);
        Assert.Equal(BodyStatus.Read, decoded.Status);
        Assert.True(decoded.Span.SequenceEqual(plain.Content));
        Assert.Equal(plain.EventIds, body.EventIds);
    }

    [Fact]
    public void ConfigurationSyntaxStillWorks()
    {
        var options = Bind(CommandLine.Parse(["--LoadGen:Events", "500", "--LoadGen:Concurrency=8"]));

        Assert.Equal(500, options.Events);
        Assert.Equal(8, options.Concurrency);
    }

    [Theory]
    [InlineData("--bogus", "Unknown option --bogus")]
    [InlineData("--rate", "--rate needs a value")]
    public void AnUnknownFlagOrAMissingValueIsAnError(string flag, string expected)
    {
        var parsed = CommandLine.Parse([flag]);

        Assert.Contains(parsed.Errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void HelpExplainsEveryOption()
    {
        Assert.True(CommandLine.Parse(["--help"]).ShowHelp);
        var help = CommandLine.HelpText();
        foreach (var flag in new[] { "--mode", "--events", "--concurrency", "--rate", "--duration", "--format", "--batch", "--payload-bytes", "--keys", "--target", "--api-key", "--no-verify", "--verify-timeout", "--report-dir", "--max-in-flight", "--consumer", "--timeout", "--client" })
        {
            Assert.Contains(flag + " ", help, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("30s", "00:00:30")]
    [InlineData("2m", "00:02:00")]
    [InlineData("1.5h", "01:30:00")]
    [InlineData("45", "00:00:45")]
    [InlineData("00:01:05", "00:01:05")]
    [InlineData("soon", "soon")]
    public void DurationsAreReadInFriendlyUnits(string written, string expected) =>
        Assert.Equal(expected, CommandLine.NormalizeDuration(written));

    [Fact]
    public void BatchesNeedTheCloudEventsFormat()
    {
        var problems = new LoadGenOptions { BatchSize = 10, Format = LoadGenOptions.SimpleFormat }.Problems();

        Assert.Contains("cloudevents", problems[nameof(LoadGenOptions.BatchSize)].Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void NumbersOutOfRangeAndUnknownModesAreRefused()
    {
        var problems = new LoadGenOptions { Mode = "sideways", Concurrency = 0, PayloadBytes = 1 }.Problems();

        Assert.Equal(["Concurrency", "Mode", "PayloadBytes"], problems.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("Mode is closed or open.", problems["Mode"].Single());
    }

    [Fact]
    public void GeneratedSimpleEventsAreValidRegisterEventRequestsOfTheAskedSize()
    {
        var factory = new EventFactory("run1", new LoadGenOptions { Keys = 10, PayloadBytes = 512 });

        var body = factory.Request(1234, 1);

        var read = EventJsonReader.ReadSingle(body.Content, EventJsonShape.Simple, new EventDefaults("/s", DateTimeOffset.UnixEpoch, 4096));
        Assert.Empty(read.Problems.ToDictionary());
        var ingestEvent = Assert.Single(read.Events)!;
        Assert.Equal(EventFactory.EventId("run1", 1234), ingestEvent.Id);
        Assert.Equal("customer-4", ingestEvent.Key);
        Assert.InRange(ingestEvent.Data.Length, 480, 560);
        Assert.Equal(1234, JsonDocument.Parse(ingestEvent.Data).RootElement.GetProperty("sequence").GetInt32());
    }

    [Fact]
    public void GeneratedBatchesAreValidCloudEventBatches()
    {
        var factory = new EventFactory("run2", new LoadGenOptions { Format = LoadGenOptions.CloudEventsFormat, BatchSize = 50 });

        var body = factory.Request(3, 50);

        var read = EventJsonReader.ReadBatch(body.Content, new EventDefaults("/s", DateTimeOffset.UnixEpoch, 4096), 1000);
        Assert.Empty(read.Problems.ToDictionary());
        Assert.Equal(50, read.Events.Count);
        Assert.Equal(body.EventIds, read.Events.Select(e => e!.Id));
        Assert.Equal(EventFactory.EventId("run2", 150), body.EventIds[0]);
        Assert.Equal("application/cloudevents-batch+json", body.ContentType.MediaType);
    }

    [Fact]
    public void PercentilesAreReadFromTheHistogramInMilliseconds()
    {
        var histogram = new LongHistogram(60_000_000, 3);
        for (var microseconds = 1_000; microseconds <= 100_000; microseconds += 1_000)
        {
            histogram.RecordValue(microseconds); // 1 ms … 100 ms, evenly
        }

        var summary = LatencySummary.From(histogram);

        Assert.Equal(100, summary.Count);
        Assert.Equal(50, summary.P50, precision: 0);
        Assert.Equal(90, summary.P90, precision: 0);
        Assert.Equal(99, summary.P99, precision: 0);
        Assert.Equal(100, summary.P999, precision: 0);
        Assert.Equal(100, summary.Max, precision: 0);
    }

    [Fact]
    public void AnEmptyRunHasZeroLatencies() =>
        Assert.Equal(new LatencySummary(0, 0, 0, 0, 0, 0), LatencySummary.From(new LongHistogram(1_000, 3)));

    private static LoadGenOptions Bind(ParsedCommandLine parsed)
    {
        var options = new LoadGenOptions();
        new ConfigurationBuilder().AddInMemoryCollection(parsed.Settings).Build().GetSection(LoadGenOptions.Section).Bind(options);
        return options;
    }
}
