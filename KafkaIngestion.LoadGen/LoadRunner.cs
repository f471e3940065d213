using System.Diagnostics;
using System.Net;
using System.Text.Json;
using HdrHistogram;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.ServiceDiscovery;

namespace KafkaIngestion.LoadGen;

/// <summary>
/// Closed-loop load: <see cref="LoadGenOptions.Concurrency"/> workers each send one event, wait
/// for the answer, and send the next, until <see cref="LoadGenOptions.Events"/> were sent.
/// </summary>
internal sealed partial class LoadRunner(
    IOptions<LoadGenOptions> options,
    ServiceEndpointResolver endpointResolver,
    ILogger<LoadRunner> logger)
{
    private const long HighestTrackableMicroseconds = 10 * 60 * 1_000_000L;

    public async Task<LoadReport> RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var baseAddress = await ResolveAsync(settings.TargetUrl, cancellationToken);
        var target = new Uri(baseAddress, "register_event");
        // Random, not time-ordered: two runs started in the same millisecond must not share ids.
        var runId = Guid.NewGuid().ToString("N")[..12];
        LogStarting(logger, runId, settings.Events, settings.Concurrency, target);

        // A plain handler, no retries or service-discovery hops: a measuring instrument must
        // see every failure as it happens and add as little as possible to each request.
        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = settings.Concurrency,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        })
        {
            Timeout = settings.RequestTimeout,
        };
        if (!string.IsNullOrEmpty(settings.ApiKey))
        {
            http.DefaultRequestHeaders.Add("X-Api-Key", settings.ApiKey);
        }

        var next = -1;
        var workers = new Worker[settings.Concurrency];
        var started = Stopwatch.GetTimestamp();
        for (var w = 0; w < workers.Length; w++)
        {
            workers[w] = new Worker();
        }

        await Task.WhenAll(workers.Select(worker => Task.Run(async () =>
        {
            int sequence;
            while ((sequence = Interlocked.Increment(ref next)) < settings.Events && !cancellationToken.IsCancellationRequested)
            {
                await worker.SendAsync(http, target, EventBody(runId, sequence, settings.Keys), cancellationToken);
            }
        }, cancellationToken)));

        var elapsed = Stopwatch.GetElapsedTime(started);
        return Summarize(runId, workers, elapsed);
    }

    /// <summary>The JSON body of one event; ids carry the run id so a run's events can be found downstream.</summary>
    internal static byte[] EventBody(string runId, int sequence, int keys)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", EventId(runId, sequence));
            json.WriteString("type", "loadgen.sample");
            json.WriteString("source", "/loadgen");
            json.WriteString("key", $"key-{sequence % keys}");
            json.WriteStartObject("data");
            json.WriteString("runId", runId);
            json.WriteNumber("sequence", sequence);
            json.WriteNumber("amount", sequence % 997 * 1.25);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    internal static string EventId(string runId, int sequence) => $"{runId}-{sequence:D9}";

    private async Task<Uri> ResolveAsync(Uri target, CancellationToken cancellationToken)
    {
        // A URL that names a service (http://api) is looked up; a concrete address is used as is.
        if (target.IsLoopback || IPAddress.TryParse(target.Host, out _) || target.Host.Contains('.', StringComparison.Ordinal))
        {
            return target;
        }

        var source = await endpointResolver.GetEndpointsAsync(target.ToString(), cancellationToken);
        var endpoint = source.Endpoints.Count > 0
            ? source.Endpoints[0].EndPoint
            : throw new InvalidOperationException($"Service discovery found no endpoint for {target}.");
        return endpoint switch
        {
            UriEndPoint uri => uri.Uri,
            DnsEndPoint dns => new UriBuilder(target.Scheme, dns.Host, dns.Port).Uri,
            IPEndPoint ip => new UriBuilder(target.Scheme, ip.Address.ToString(), ip.Port).Uri,
            _ => throw new InvalidOperationException($"Cannot use endpoint {endpoint} for {target}."),
        };
    }

    private static LoadReport Summarize(string runId, Worker[] workers, TimeSpan elapsed)
    {
        var latency = new LongHistogram(HighestTrackableMicroseconds, 3);
        var statusCodes = new Dictionary<int, int>();
        var errors = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var worker in workers)
        {
            latency.Add(worker.Latency);
            foreach (var (code, count) in worker.StatusCodes)
            {
                statusCodes[code] = statusCodes.GetValueOrDefault(code) + count;
            }

            foreach (var (kind, count) in worker.Errors)
            {
                errors[kind] = errors.GetValueOrDefault(kind) + count;
            }
        }

        var accepted = statusCodes.Where(s => s.Key is >= 200 and < 300).Sum(s => s.Value);
        var rejected = statusCodes.Where(s => s.Key is >= 400 and < 500).Sum(s => s.Value);
        var sent = statusCodes.Values.Sum() + errors.Values.Sum();
        return new LoadReport(runId, sent, accepted, rejected, sent - accepted - rejected, elapsed,
            LatencySummary.From(latency), statusCodes, errors);
    }

    /// <summary>One closed-loop sender; its statistics are its own, so no locks on the hot path.</summary>
    private sealed class Worker
    {
        public LongHistogram Latency { get; } = new(HighestTrackableMicroseconds, 3);

        public Dictionary<int, int> StatusCodes { get; } = [];

        public Dictionary<string, int> Errors { get; } = new(StringComparer.Ordinal);

        public async Task SendAsync(HttpClient http, Uri target, byte[] body, CancellationToken cancellationToken)
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new("application/json");
                using var response = await http.PostAsync(target, content, cancellationToken);
                var code = (int)response.StatusCode;
                StatusCodes[code] = StatusCodes.GetValueOrDefault(code) + 1;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                var kind = ex is TaskCanceledException ? "timeout" : ex.GetType().Name;
                Errors[kind] = Errors.GetValueOrDefault(kind) + 1;
            }

            Latency.RecordValue(Math.Min((long)Stopwatch.GetElapsedTime(start).TotalMicroseconds, HighestTrackableMicroseconds));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: sending {Events} events with {Concurrency} concurrent requests to {Target}")]
    private static partial void LogStarting(ILogger logger, string runId, int events, int concurrency, Uri target);
}
