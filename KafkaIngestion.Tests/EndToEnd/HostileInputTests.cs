using System.Net.Http.Headers;
using System.Text;
using CsCheck;

namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>
/// Thousands of random and mutated requests: whatever arrives, the API answers below 500, and
/// every refusal is a ProblemDetails.
/// </summary>
[Collection(SharedAppHost.Name)]
public sealed class HostileInputTests(AppHostFixture fixture)
{
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
        "application/json; charset=utf-8", "text/plain", "application/xml", "multipart/form-data", "application/*", null,
    ];

    private static readonly Gen<byte[]> Body = Gen.OneOf(
        // Random bytes, including invalid UTF-8.
        Gen.Byte.Array[0, 512],
        // A valid seed with bytes flipped, cut short, or with a random run inserted.
        Gen.Select(Gen.Int[0, Seeds.Length - 1], Gen.Int[0, 3], Gen.Int, Gen.Byte.Array[1, 16], (seed, kind, at, noise) =>
        {
            var bytes = Encoding.UTF8.GetBytes(Seeds[seed]);
            var position = (int)((uint)at % (uint)bytes.Length);
            return kind switch
            {
                0 => Flip(bytes, position, noise),
                1 => bytes[..position],
                2 => [.. bytes[..position], .. noise, .. bytes[position..]],
                _ => Encoding.UTF8.GetBytes(Seeds[seed].Replace("\"t\"", $"\"{new string('\u00e9', position * 40)}\"", StringComparison.Ordinal)),
            };
        }),
        // Deep nesting and huge numbers.
        Gen.Int[1, 2000].Select(depth => Encoding.UTF8.GetBytes($$"""{"type":"t","data":{{new string('[', depth)}}{{new string(']', depth)}}}""")),
        Gen.Int[1, 400].Select(digits => Encoding.UTF8.GetBytes($$"""{"type":"t","time":"2026-11-24T00:00:00Z","data":1{{new string('9', digits)}}}""")));

    private static readonly Gen<(string Path, byte[] Body, string? ContentType, bool Binary, string HeaderValue)> Request =
        Gen.Select(Gen.OneOfConst("/register_event", "/events"), Body, Gen.OneOfConst(ContentTypes), Gen.Bool, Gen.String[Gen.Char['!', '~'], 0, 64]);

    [Fact]
    public async Task NoRandomOrMutatedRequestGetsA5xx()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var sent = 0;

        await Request.SampleAsync(async request =>
        {
            Interlocked.Increment(ref sent);
            using var message = new HttpRequestMessage(HttpMethod.Post, request.Path) { Content = new ByteArrayContent(request.Body) };
            if (request.ContentType is not null && MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType))
            {
                message.Content.Headers.ContentType = contentType;
            }

            if (request.Binary)
            {
                message.Headers.TryAddWithoutValidation("ce-specversion", "1.0");
                message.Headers.TryAddWithoutValidation("ce-type", request.HeaderValue);
                message.Headers.TryAddWithoutValidation("ce-source", "urn:fuzz");
                message.Headers.TryAddWithoutValidation("ce-" + new string(request.HeaderValue.Where(char.IsAsciiLetterOrDigit).Take(30).ToArray()).ToLowerInvariant(), request.HeaderValue);
            }

            using var response = await fixture.Api.SendAsync(message, timeout.Token);

            var status = (int)response.StatusCode;
            Assert.True(status < 500, $"{request.Path} answered {status} to {Encoding.UTF8.GetString(request.Body)}");
            if (status >= 400)
            {
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }, iter: 3_000, threads: 4);

        Assert.True(sent >= 3_000, $"only {sent} requests were sent");

        // And the API is still there.
        using var health = await fixture.Api.GetAsync("/alive", timeout.Token);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

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
