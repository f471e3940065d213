using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using CsCheck;
using KafkaIngestion.Http;
using Xunit.Abstractions;

namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>
/// The hostile input campaign: generated requests of every kind an attacker or a broken client
/// sends. Whatever arrives, the API answers below 500, every refusal the application makes is a
/// ProblemDetails, the process stays up and its memory stays bounded. <c>dotnet test</c> sends a
/// few thousand; <c>reliability/hostile.sh</c> sends 100,000 and more.
/// </summary>
[Trait("Category", "EndToEnd")]
[Collection(SharedAppHost.Name)]
public sealed class HostileInputTests(AppHostFixture fixture, ITestOutputHelper output)
{
    private static readonly int Requests =
        int.TryParse(Environment.GetEnvironmentVariable("KAFKAINGESTION_HOSTILE_REQUESTS"), CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 3_000;

    /// <summary>Ingestion:MaxRequestBytes's default.</summary>
    private const int MaxRequestBytes = 8 * 1024 * 1024;

    /// <summary>The API's resident memory must stay under this whatever it is sent (its benchmark budget is 300 MB under load).</summary>
    private const long MemoryBoundBytes = 450L * 1024 * 1024;

    private static readonly string[] Seeds =
    [
        """{"type":"order.created","key":"k","data":{"a":[1,2,{"b":null}],"s":"text"}}""",
        """{"specversion":"1.0","id":"e","source":"urn:x","type":"t","partitionkey":"k","tenant":"acme","data":{"n":1.5e3}}""",
        """[{"specversion":"1.0","source":"urn:x","type":"t"},{"specversion":"1.0","source":"urn:x","type":"u","data_base64":"AAEC"}]""",
        """{"specversion":"1.0","source":"urn:x","type":"t","datacontenttype":"text/plain","data":"hello"}""",
    ];

    private static readonly string?[] ContentTypes =
    [
        "application/json", "application/cloudevents+json", "application/cloudevents-batch+json",
        "application/json; charset=utf-8", "application/json; charset=latin1", "text/plain", "application/xml",
        "multipart/form-data", "application/*", "application/cloudevents+json; charset=utf-16", null,
    ];

    /// <summary>CloudEvents attributes with wrong values: (name, JSON value).</summary>
    private static readonly (string Name, string Value)[] WrongAttributes =
    [
        ("specversion", "\"0.3\""), ("specversion", "1.0"), ("specversion", "null"), ("id", "42"), ("id", "\"\""), ("id", "{}"),
        ("source", "\"\""), ("source", "[\"urn:x\"]"), ("type", "\"\""), ("type", "true"), ("time", "\"yesterday\""),
        ("time", "\"2026-13-45T99:00:00Z\""), ("datacontenttype", "7"), ("dataschema", "\"not a uri\""), ("data_base64", "\"%%%not base64\""),
        ("data_base64", "12"), ("partitionkey", "[1]"), ("Upper_Case", "\"x\""), ("averyveryveryverylongextensionname", "\"x\""),
        ("tenant", "{\"nested\":true}"),
    ];

    private sealed record HostileRequest(string Kind, string Path, byte[] Body, string? ContentType, (string Name, string Value)[] Headers);

    private static readonly Gen<string> Path = Gen.OneOfConst("/register_event", "/events");

    private static readonly ContentCoding[] Codings = [ContentCoding.Gzip, ContentCoding.Brotli, ContentCoding.Zstd, ContentCoding.Deflate];

    /// <summary>256 MiB of zeros in each coding (from 8 KB as zstd to 260 KB as gzip), made once.</summary>
    private static readonly Lazy<(ContentCoding Coding, byte[] Body)[]> Bombs =
        new(() => [.. Codings.Select(coding => (coding, KafkaIngestion.Tests.Api.BodyDecoderTests.Zeros(coding, 256)))]);

    private static readonly Gen<HostileRequest> Request = Gen.Frequency(
        (20, Gen.Select(Path, Gen.Byte.Array[0, 512], Gen.OneOfConst(ContentTypes), (path, body, type) =>
            new HostileRequest("random bytes", path, body, type, []))),
        (30, Gen.Select(Path, Gen.Int[0, Seeds.Length - 1], Gen.Int[0, 2], Gen.Int, Gen.Byte.Array[1, 16], Gen.OneOfConst(ContentTypes), (path, seed, kind, at, noise, type) =>
        {
            var bytes = Encoding.UTF8.GetBytes(Seeds[seed]);
            var position = (int)((uint)at % (uint)bytes.Length);
            byte[] body = kind switch
            {
                0 => Flip(bytes, position, noise),
                1 => bytes[..position],
                _ => [.. bytes[..position], .. noise, .. bytes[position..]],
            };
            return new HostileRequest(kind == 1 ? "truncated JSON" : "mutated JSON", path, body, type, []);
        })),
        (8, Gen.Select(Path, Gen.Int[1, 5000], (path, depth) =>
            new HostileRequest("deeply nested JSON", path, Encoding.UTF8.GetBytes($$"""{"specversion":"1.0","source":"urn:x","type":"t","data":{{new string('[', depth)}}{{new string(']', depth)}}}"""), JsonType(path), []))),
        (6, Gen.Select(Path, Gen.Int[1, 5000], (path, digits) =>
            new HostileRequest("huge number", path, Encoding.UTF8.GetBytes($$"""{"specversion":"1.0","source":"urn:x","type":"t","time":"2026-11-24T00:00:00Z","data":1{{new string('9', digits)}}e{{digits}}}"""), JsonType(path), []))),
        (4, Gen.Select(Path, Gen.Int[1_000, 1_500_000], Gen.Bool, (path, length, inType) =>
            new HostileRequest("huge string", path, Encoding.UTF8.GetBytes(inType
                ? $$"""{"specversion":"1.0","source":"urn:x","type":"{{new string('\u00e9', length)}}"}"""
                : $$"""{"specversion":"1.0","source":"urn:x","type":"t","data":"{{new string('x', length)}}"}"""), JsonType(path), []))),
        (6, Gen.Select(Path, Gen.Int[0, Seeds.Length - 1], Gen.Int, Gen.OneOfConst<byte[]>([0xC3, 0x28], [0xFF], [0xED, 0xA0, 0x80], [0xF0, 0x28, 0x8C]), (path, seed, at, bad) =>
        {
            // Invalid UTF-8 inside a string value, where a lenient parser would let it through.
            var text = Seeds[seed];
            var quote = text.IndexOf("\"t", StringComparison.Ordinal) is >= 0 and var q ? q + 1 : 1;
            var bytes = Encoding.UTF8.GetBytes(text);
            return new HostileRequest("invalid UTF-8", path, [.. bytes[..quote], .. bad, .. bytes[quote..]], JsonType(path), []);
        })),
        (6, Gen.Select(Path, Gen.Int[0, Seeds.Length - 1], Gen.OneOfConst("text/plain", "application/xml", "multipart/form-data", "image/png", "application/x-www-form-urlencoded", "", "application/cloudevents+xml"), (path, seed, type) =>
            new HostileRequest("wrong content type", path, Encoding.UTF8.GetBytes(Seeds[seed]), type.Length == 0 ? null : type, []))),
        (10, Gen.Select(Gen.OneOfConst(WrongAttributes), Gen.Bool, (attribute, batch) =>
        {
            // A valid event with one attribute replaced by a wrong value.
            var attributes = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["specversion"] = "\"1.0\"", ["id"] = "\"a\"", ["source"] = "\"urn:x\"", ["type"] = "\"t\"",
                [attribute.Name] = attribute.Value,
            };
            var wrong = "{" + string.Join(",", attributes.Select(a => $"\"{a.Key}\":{a.Value}")) + "}";
            return new HostileRequest("wrong CloudEvents attributes", "/events", Encoding.UTF8.GetBytes(batch ? $"[{wrong},{wrong}]" : wrong),
                batch ? "application/cloudevents-batch+json" : "application/cloudevents+json", []);
        })),
        (8, Gen.Select(Gen.String[Gen.Char['\u0020', '\u007e'], 0, 64], Gen.Bool, Gen.Bool, Gen.Byte.Array[0, 256], Gen.OneOfConst(ContentTypes), (value, withVersion, withType, body, type) =>
            new HostileRequest("binary mode headers", "/events", body, type, [
                .. withVersion ? new[] { ("ce-specversion", value.Length % 2 == 0 ? "1.0" : value) } : [],
                .. withType ? new[] { ("ce-type", value) } : [],
                ("ce-source", value.Length > 3 ? value : "urn:fuzz"),
                ("ce-" + new string([.. value.Where(char.IsAsciiLetterOrDigit).Take(30)]).ToLowerInvariant(), value),
                ("ce-time", value),
            ]))),
        (1, Gen.Select(Path, Gen.Int[101, 400], Gen.Bool, (path, count, wide) =>
            new HostileRequest("header flood", path, Encoding.UTF8.GetBytes(Seeds[0]), "application/json", wide
                ? [("x-flood", new string('h', count * 200))]
                : [.. Enumerable.Range(0, count).Select(i => ($"x-flood-{i}", "value"))]))),
        (1, Path.Select(path =>
            new HostileRequest("oversized body", path, new byte[MaxRequestBytes + 1], JsonType(path), []))),
        (8, Gen.Select(Path, Gen.Int[0, Seeds.Length - 1], Gen.OneOfConst(Codings), Gen.Int[0, 3], Gen.Int, Gen.Byte.Array[1, 8], (path, seed, coding, damage, at, noise) =>
        {
            // A seed compressed as a client would, then cut short, altered or given trailing bytes.
            var whole = coding.Compress(Encoding.UTF8.GetBytes(Seeds[seed]), System.IO.Compression.CompressionLevel.Fastest);
            var position = (int)((uint)at % (uint)whole.Length);
            (string Kind, byte[] Body) sent = damage switch
            {
                0 => ("compressed", whole),
                1 => ("truncated compressed stream", whole[..position]),
                2 => ("altered compressed stream", Flip(whole, position, noise)),
                _ => ("compressed stream with trailing bytes", [.. whole, .. noise]),
            };
            return new HostileRequest(sent.Kind, path, sent.Body, JsonType(path), [("Content-Encoding", coding.Name())]);
        })),
        (4, Gen.Select(Path, Gen.OneOfConst("compress", "gzip, br", "GZIP", "x-gzip", "identity, zstd", "br;q=1", "", " , ", "deflate-raw", "zstd, zstd"), Gen.Int[0, Seeds.Length - 1], (path, encoding, seed) =>
            new HostileRequest("odd Content-Encoding", path, Encoding.UTF8.GetBytes(Seeds[seed]), JsonType(path), [("Content-Encoding", encoding)]))),
        (1, Gen.Select(Path, Gen.Int[0, Codings.Length - 1], (path, i) =>
            new HostileRequest("decompression bomb", path, Bombs.Value[i].Body, JsonType(path), [("Content-Encoding", Bombs.Value[i].Coding.Name())]))));

    [Fact]
    public async Task NoHostileRequestGetsA5xxAndTheApiStaysUpWithBoundedMemory()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(Math.Max(5, Requests / 1_000)));
        var pidBefore = ApiPid();
        var memoryBefore = ApiResidentBytes();
        Assert.True(pidBefore > 0 && memoryBefore > 0, "the api's process was not found");
        var statuses = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var kinds = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var peak = memoryBefore;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, ApiResidentBytes());
                await Task.Delay(250, CancellationToken.None);
            }
        }, CancellationToken.None);

        // Slow senders go on while the generated requests flow.
        var slow = Enumerable.Range(0, 6).Select(_ => SlowSenderAsync(timeout.Token)).ToArray();

        await Request.SampleAsync(async request =>
        {
            kinds.AddOrUpdate(request.Kind, 1, (_, c) => c + 1);
            var status = await SendAsync(request, timeout.Token);
            statuses.AddOrUpdate(status.ToString(CultureInfo.InvariantCulture), 1, (_, c) => c + 1);
        }, iter: Requests, threads: 8);

        var slowAnswers = await Task.WhenAll(slow);
        await sampling.CancelAsync();
        await sampler;

        // The API is still there: the same process, answering, with its memory bounded.
        using var alive = await fixture.Api.GetAsync("/alive", timeout.Token);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        Assert.Equal(pidBefore, ApiPid());
        var memoryAfter = ApiResidentBytes();
        var summary = new
        {
            requests = kinds.Values.Sum(),
            kinds = kinds.OrderBy(k => k.Key).ToDictionary(),
            statuses = statuses.OrderBy(s => s.Key).ToDictionary(),
            slowSenders = slowAnswers,
            memoryBeforeMb = memoryBefore / 1_048_576,
            memoryPeakMb = peak / 1_048_576,
            memoryAfterMb = memoryAfter / 1_048_576,
            sameProcess = pidBefore == ApiPid(),
        };
        Publish(JsonSerializer.Serialize(summary));
        Assert.Equal(Requests, summary.requests);
        Assert.DoesNotContain(statuses.Keys, code => code.StartsWith('5'));
        Assert.All(slowAnswers, answer => Assert.True(answer is "408" or "closed", $"a slow sender got {answer}"));
        Assert.True(peak < MemoryBoundBytes, $"the API's memory peaked at {peak / 1_048_576} MB");
    }

    /// <summary>Sends one request; checks what the application answers and returns its status code.</summary>
    private async Task<int> SendAsync(HostileRequest request, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, request.Path) { Content = new ByteArrayContent(request.Body) };
        if (request.ContentType is not null && MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType))
        {
            message.Content.Headers.ContentType = contentType;
        }

        foreach (var (name, value) in request.Headers)
        {
            if (!message.Headers.TryAddWithoutValidation(name, value))
            {
                message.Content.Headers.TryAddWithoutValidation(name, value); // Content-Encoding
            }
        }

        // A big body waits for the server's go-ahead, so a 413 can come before it is sent.
        message.Headers.ExpectContinue = request.Body.Length > MaxRequestBytes;
        using var response = await fixture.Api.SendAsync(message, cancellationToken);
        var status = (int)response.StatusCode;
        if (request.Kind is "wrong CloudEvents attributes" or "wrong content type" or "oversized body" or "invalid UTF-8"
            or "truncated compressed stream" or "decompression bomb")
        {
            // Never valid: these must be refused, whatever else happens.
            Assert.True(status >= 400, $"{request.Kind}: {request.Path} accepted {Preview(request.Body)} ({request.ContentType})");
        }

        Assert.True(status < 500, $"{request.Kind}: {request.Path} answered {status} to {Preview(request.Body)}");
        if (status >= 400 && !(request.Kind == "header flood" && status == 431))
        {
            // Only Kestrel's protocol-level refusals (431: the headers are too large to be a
            // request at all) come before the application and have no body.
            Assert.True("application/problem+json" == response.Content.Headers.ContentType?.MediaType,
                $"{request.Kind}: {status} without a ProblemDetails for {Preview(request.Body)}");
        }

        return status;
    }

    /// <summary>
    /// A client that announces a body and sends it a byte at a time: it must be cut off (408, or
    /// the connection closed) rather than hold a request slot forever.
    /// </summary>
    private async Task<string> SlowSenderAsync(CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(fixture.Api.BaseAddress!.Host, fixture.Api.BaseAddress.Port, cancellationToken);
        await using var stream = client.GetStream();
        var head = $"POST /register_event HTTP/1.1\r\nHost: localhost\r\nX-Api-Key: {fixture.ApiKey}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancellationToken);
        var answer = new byte[4096];
        var reading = stream.ReadAsync(answer, cancellationToken).AsTask();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            while (!reading.IsCompleted)
            {
                await stream.WriteAsync("{"u8.ToArray(), deadline.Token);
                await Task.WhenAny(reading, Task.Delay(TimeSpan.FromMilliseconds(500), deadline.Token));
            }
        }
        catch (IOException)
        {
            return "closed";
        }

        var read = await reading;
        return read == 0 ? "closed" : Encoding.ASCII.GetString(answer, 0, read).Split(' ') is [_, var code, ..] ? code : "unreadable";
    }

    private int ApiPid() => fixture.ApiProcesses().Select(p => p.Pid).DefaultIfEmpty().Max();

    private long ApiResidentBytes() => fixture.ApiProcesses().Select(p => p.ResidentBytes).DefaultIfEmpty().Max();

    private void Publish(string summary)
    {
        output.WriteLine(summary);
        if (Environment.GetEnvironmentVariable("KAFKAINGESTION_RELIABILITY_RESULTS") is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(System.IO.Path.Combine(directory, "hostile.json"), summary);
        }
    }

    private static string? JsonType(string path) => path == "/events" ? "application/cloudevents+json" : "application/json";

    private static string Preview(byte[] body) => Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 200)));

    private static byte[] Flip(byte[] bytes, int position, byte[] noise)
    {
        var copy = (byte[])bytes.Clone();
        for (var i = 0; i < noise.Length && position + i < copy.Length; i++)
        {
            copy[position + i] ^= noise[i];
        }

        return copy;
    }
}
