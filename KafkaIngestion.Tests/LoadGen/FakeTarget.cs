using System.IO.Compression;
using System.Text.Json;
using KafkaIngestion.ConsumerApi;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace KafkaIngestion.Tests.LoadGen;

/// <summary>
/// A stand-in for the API and the consumer, on a loopback port of its own, whose behaviour a
/// test sets: how long answers take, and which accepted events the "consumer" admits storing.
/// It is what the load generator is tested against, not the system it normally measures.
/// </summary>
internal sealed class FakeTarget : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _accepted;

    private FakeTarget(WebApplication app) => _app = app;

    /// <summary>Every answer waits this long first (settable while requests are going on).</summary>
    public TimeSpan Stall { get; set; }

    /// <summary>Which stored ids the fake consumer owns up to; the rest are "lost".</summary>
    public Func<string, bool> Stores { get; set; } = _ => true;

    /// <summary>The status code for the n-th attempt (from 1) at an event id; 202 accepts it.</summary>
    public Func<string, int, int> StatusFor { get; set; } = (_, _) => StatusCodes.Status202Accepted;

    /// <summary>Requests by their Content-Encoding ("" for none); their bodies are decoded before reading.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, int> Encodings { get; } = new(StringComparer.Ordinal);

    /// <summary>How many times each event id was sent.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, int> Attempts { get; } = new(StringComparer.Ordinal);

    public int Accepted => Volatile.Read(ref _accepted);

    public Uri Url => new(_app.Urls.First());

    public static async Task<FakeTarget> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var target = new FakeTarget(app);
        app.MapPost("/register_event", async (HttpContext context) =>
        {
            if (target.Stall > TimeSpan.Zero)
            {
                await Task.Delay(target.Stall);
            }

            var encoding = context.Request.Headers.ContentEncoding.ToString();
            target.Encodings.AddOrUpdate(encoding, 1, (_, n) => n + 1);
            await using var decoded = encoding switch
            {
                "" => context.Request.Body,
                "gzip" => new GZipStream(context.Request.Body, CompressionMode.Decompress),
                "br" => new BrotliStream(context.Request.Body, CompressionMode.Decompress),
                "zstd" => new ZstdSharp.DecompressionStream(context.Request.Body),
                _ => throw new InvalidOperationException($"The fake does not decode '{encoding}'."),
            };
            using var body = await JsonDocument.ParseAsync(decoded);
            var id = body.RootElement.GetProperty("id").GetString()!;
            var status = target.StatusFor(id, target.Attempts.AddOrUpdate(id, 1, (_, n) => n + 1));
            if (status != StatusCodes.Status202Accepted)
            {
                return Results.Problem(statusCode: status);
            }

            Interlocked.Increment(ref target._accepted);
            return Results.Accepted();
        });
        app.MapPost("/processed/query", async (HttpContext context) =>
        {
            var query = await context.Request.ReadFromJsonAsync(ConsumerApiJsonContext.Default.ProcessedQuery);
            var ids = query?.Ids ?? [];
            return TypedResults.Json(new ProcessedQueryResult(
                ids.ToDictionary(id => id, id => target.Stores(id) ? 1 : 0),
                ids.Where(target.Stores).ToDictionary(id => id, _ => 12.5)), ConsumerApiJsonContext.Default.ProcessedQueryResult);
        });
        await app.StartAsync();
        return target;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
