using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.ServiceDiscovery;

namespace KafkaIngestion.LoadGen;

/// <summary>What the sending part of a run produced, before verification.</summary>
internal sealed record SendResult(double Seconds, OpenLoopReport? OpenLoop, bool Stopped);

/// <summary>
/// Sends a run's requests. Closed loop: <see cref="LoadGenOptions.Concurrency"/> senders each
/// send, wait for the answer and send again. Open loop: one scheduler releases each request at
/// its due time whatever the answers, and latency counts from the due time, so a stalled
/// server cannot hide its queueing delay (coordinated omission).
/// </summary>
internal sealed partial class LoadRunner(ServiceEndpointResolver endpointResolver, ILogger<LoadRunner> logger)
{
    public async Task<SendResult> SendAsync(LoadGenOptions settings, EventFactory events, RunStats stats, CancellationToken stop)
    {
        var baseAddress = await ResolveAsync(settings.UsesHttp2Endpoint ? settings.GrpcTargetUrl : settings.TargetUrl, stop);
        var target = settings.Protocol == LoadGenOptions.GrpcProtocol ? baseAddress : new Uri(baseAddress, settings.Path);
        var connections = settings.Mode == LoadGenOptions.OpenLoop ? settings.MaxInFlight : settings.Concurrency;

        using var transport = LoadTransport.For(target, settings, connections);
        // A target may carry user info (http://user:password@host): never logged.
        var loggedTarget = KafkaIngestion.ServiceDefaults.LogRedaction.WithoutUserInfo(target);
        LogStarting(logger, settings.Mode, loggedTarget, transport.GetType().Name, settings.Mode == LoadGenOptions.OpenLoop
            ? $"{settings.Rate} events/s for {settings.Duration.TotalSeconds:F0} s"
            : $"{settings.Events} events, {settings.Concurrency} at a time");

        var started = Stopwatch.GetTimestamp();
        OpenLoopReport? openLoop = null;
        try
        {
            if (settings.Mode == LoadGenOptions.OpenLoop)
            {
                openLoop = await OpenLoopAsync(settings, transport, events, stats, stop);
            }
            else
            {
                await ClosedLoopAsync(settings, transport, events, stats, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped on request: what was answered so far is reported (and verified).
        }

        return new SendResult(Stopwatch.GetElapsedTime(started).TotalSeconds, openLoop, stop.IsCancellationRequested);
    }

    private static async Task ClosedLoopAsync(LoadGenOptions settings, ILoadTransport transport, EventFactory events, RunStats stats, CancellationToken stop)
    {
        var requests = RequestCount(settings.Events, settings.BatchSize);
        var next = -1L;
        await Task.WhenAll(Enumerable.Range(0, settings.Concurrency).Select(_ => Task.Run(async () =>
        {
            long request;
            while ((request = Interlocked.Increment(ref next)) < requests && !stop.IsCancellationRequested)
            {
                var body = events.Request(request, EventsIn(request, settings.Events, settings.BatchSize));
                await SendOneAsync(transport, body, Stopwatch.GetTimestamp(), settings.Retries, stats, stop);
            }
        }, stop)));
    }

    private static async Task<OpenLoopReport> OpenLoopAsync(LoadGenOptions settings, ILoadTransport transport, EventFactory events, RunStats stats, CancellationToken stop)
    {
        var totalEvents = (long)Math.Round(settings.Rate * settings.Duration.TotalSeconds);
        var requests = RequestCount(totalEvents, settings.BatchSize);
        var ticksPerRequest = (double)Stopwatch.Frequency * settings.BatchSize / settings.Rate;
        using var slots = new SemaphoreSlim(settings.MaxInFlight, settings.MaxInFlight);
        var inFlight = new List<Task>();
        var maxBehind = 0L;
        var waitedForSlot = 0L;
        // Late: sent more than 100 ms (or two intervals) after it was due.
        var tolerance = Math.Max(100, 2000.0 * settings.BatchSize / settings.Rate);
        var lateTicks = (long)(tolerance * Stopwatch.Frequency / 1000);
        var late = 0L;
        var sent = 0L;
        var start = Stopwatch.GetTimestamp();
        try
        {
            for (var request = 0L; request < requests; request++)
            {
                var dueAt = start + (long)(request * ticksPerRequest);
                var early = dueAt - Stopwatch.GetTimestamp();
                if (early > 0)
                {
                    // Sleeps of a millisecond or more; shorter gaps are sent at once (requests due
                    // within the timer's resolution go out together, still counted from their due time).
                    var wait = TimeSpan.FromTicks(early * TimeSpan.TicksPerSecond / Stopwatch.Frequency);
                    if (wait >= TimeSpan.FromMilliseconds(1))
                    {
                        await Task.Delay(wait, stop);
                    }
                }

                if (!slots.Wait(0, CancellationToken.None))
                {
                    // Every slot busy: the target answers slower than the rate. The request waits,
                    // and the wait is part of its latency.
                    waitedForSlot++;
                    await slots.WaitAsync(stop);
                }

                var behind = Stopwatch.GetTimestamp() - dueAt;
                maxBehind = Math.Max(maxBehind, behind);
                late += behind > lateTicks ? 1 : 0;
                sent++;
                var body = events.Request(request, EventsIn(request, totalEvents, settings.BatchSize));
                inFlight.Add(SendAndReleaseAsync(transport, body, dueAt, settings.Retries, stats, slots, stop));
                if (inFlight.Count >= 4096)
                {
                    inFlight.RemoveAll(t => t.IsCompleted);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped: the requests in flight finish (as "Stopped"), and the report covers the run so far.
        }

        var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var sendingSeconds = stop.IsCancellationRequested ? elapsed : Math.Max(elapsed, settings.Duration.TotalSeconds);
        await Task.WhenAll(inFlight);

        var achieved = stats.Events / sendingSeconds;
        var behindMs = maxBehind * 1000.0 / Stopwatch.Frequency;
        // Kept: within 3 % of the rate, and at most 1 % of the requests went out late. One pause
        // of the process (a GC, a noisy neighbour on a shared machine) that the generator
        // catches up on is not a failure to keep the rate: its delay is already charged to the
        // latency of the requests it held up, counted from their due times, and shows as the
        // maximum lateness. A generator or a target that cannot keep up makes many requests late.
        var lateShare = (double)late / Math.Max(1, sent);
        var kept = (achieved >= settings.Rate * 0.97 || stop.IsCancellationRequested) && lateShare <= 0.01;
        var lateness = $"{late} requests ({lateShare:P1}) went out more than {tolerance:F0} ms late, the furthest {behindMs:F0} ms";
        var why = kept ? null : waitedForSlot > 0
            ? $"{waitedForSlot} requests waited for one of the {settings.MaxInFlight} in-flight slots (the target answered slower than the rate); {lateness}"
            : $"the generator fell behind schedule (not enough CPU for this rate): {lateness}";
        return new OpenLoopReport(settings.Rate, Math.Round(achieved, 1), Math.Round(behindMs, 2), late, kept, why);
    }

    private static async Task SendAndReleaseAsync(ILoadTransport transport, RequestBody body, long dueAt, int retries, RunStats stats, SemaphoreSlim slots, CancellationToken stop)
    {
        try
        {
            await SendOneAsync(transport, body, dueAt, retries, stats, stop);
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>
    /// Sends one request and records its answer; never throws. With retries, a request with no
    /// answer, a timeout, a 429 or a 5xx goes again with the same bytes (the same event ids),
    /// and the events' outcome and latency are those of the last attempt.
    /// </summary>
    internal static async Task SendOneAsync(ILoadTransport transport, RequestBody body, long dueAt, int retries, RunStats stats, CancellationToken stop)
    {
        stats.Sending(body.EventIds.Length, body.Content.Length);
        for (var attempt = 0; ; attempt++)
        {
            var outcome = await AttemptAsync(transport, body, stats, stop);
            if (outcome.RetryAfter is not { } wait || attempt >= retries || stop.IsCancellationRequested)
            {
                stats.Finished(body.EventIds.Length, outcome.Accepted, outcome.Rejected, dueAt);
                return;
            }

            stats.Retrying();
            try
            {
                await Task.Delay(wait == TimeSpan.Zero ? Backoff(attempt) : wait, stop);
            }
            catch (OperationCanceledException)
            {
                stats.Finished(body.EventIds.Length, [], 0, dueAt);
                return;
            }
        }
    }

    /// <summary>Exponential from 100 ms, capped at 2 s, with jitter so retries of many requests spread out.</summary>
    internal static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(2_000, 100 * Math.Pow(2, attempt)) * (0.5 + (Random.Shared.NextDouble() / 2)));

    /// <param name="RetryAfter">Null: final (an answer that a resend would not change). Zero: worth retrying after a backoff. Otherwise the server's Retry-After.</param>
    private readonly record struct Attempt(IReadOnlyCollection<string> Accepted, int Rejected, TimeSpan? RetryAfter);

    private static async Task<Attempt> AttemptAsync(ILoadTransport transport, RequestBody body, RunStats stats, CancellationToken stop)
    {
        try
        {
            var answer = await transport.SendAsync(body, readBody: body.IsBatch, stop);
            var code = answer.StatusCode;
            stats.Answered(code);
            if (code is 429 or >= 500)
            {
                // Retry-After is honoured up to 5 s: longer would stall an open-loop slot for nothing.
                var after = answer.RetryAfter is { } delta ? TimeSpan.FromTicks(Math.Min(delta.Ticks, TimeSpan.FromSeconds(5).Ticks)) : TimeSpan.Zero;
                return new Attempt([], 0, after);
            }

            var (accepted, rejected) = answer.Accepted is { } acceptedIds ? (acceptedIds, answer.Rejected)
                : body.IsBatch && code is 202 or 207
                ? ReadBatchAnswer(answer.Body)
                : code is >= 200 and < 300 ? (body.EventIds, 0)
                : code is >= 400 and < 500 ? ([], body.EventIds.Length)
                : ((IReadOnlyCollection<string>)[], 0);
            return new Attempt(accepted, rejected, null);
        }
        catch (TransportException ex)
        {
            stats.Errored(ex.Kind);
            return new Attempt([], 0, TimeSpan.Zero);
        }
        catch (JsonException)
        {
            // A 2xx whose per-event answer cannot be read: which events were taken is unknown, and
            // a resend with the same ids is harmless.
            stats.Errored("UnreadableAnswer");
            return new Attempt([], 0, TimeSpan.Zero);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The run was stopped with this request in flight: whether the API took its events is unknown.
            stats.Errored("Stopped");
            return new Attempt([], 0, null);
        }
    }

    /// <summary>A batch answers per event: the accepted ids, and how many were rejected as invalid.</summary>
    private static (IReadOnlyCollection<string> Accepted, int Rejected) ReadBatchAnswer(byte[]? body)
    {
        using var answer = JsonDocument.Parse(body ?? []);
        var accepted = new List<string>();
        var rejected = 0;
        foreach (var result in answer.RootElement.GetProperty("results").EnumerateArray())
        {
            switch (result.GetProperty("status").GetString())
            {
                case "accepted":
                    accepted.Add(result.GetProperty("id").GetString()!);
                    break;
                case "rejected":
                    rejected++;
                    break;
            }
        }

        return (accepted, rejected);
    }

    internal static long RequestCount(long events, int batchSize) => (events + batchSize - 1) / batchSize;

    /// <summary>Every request carries a full batch except, perhaps, the last.</summary>
    internal static int EventsIn(long request, long events, int batchSize) => (int)Math.Min(batchSize, events - request * batchSize);

    private async Task<Uri> ResolveAsync(Uri target, CancellationToken cancellationToken)
    {
        // A URL that names a service (http://api, or an endpoint of it: http://_grpc.api) is looked up; a concrete address is used as is.
        if (target.IsLoopback || IPAddress.TryParse(target.Host, out _) || (target.Host.Contains('.', StringComparison.Ordinal) && !target.Host.StartsWith('_')))
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

    /// <summary>Resolves a service name (http://consumer) the same way as the target.</summary>
    public Task<Uri> ResolveServiceAsync(Uri url, CancellationToken cancellationToken) => ResolveAsync(url, cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sending {Mode} loop to {Target} through {Transport}: {Plan}")]
    private static partial void LogStarting(ILogger logger, string mode, string target, string transport, string plan);
}
