using System.Runtime;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Api.WarmUp;

/// <summary>
/// Sends requests through the API's own HTTP stack (Kestrel, routing, body reading, parsing,
/// record building, the JSON answer) once it listens, in rounds, until the JIT compiles next to
/// nothing per round: on two cores the first real requests would otherwise queue behind it.
/// Readiness (<see cref="WarmUpHealthCheck"/>) waits for the end; nothing is produced to Kafka.
/// </summary>
internal sealed partial class StartupWarmUp(
    WarmUpState state, IOptions<WarmUpOptions> options, IServer server, IHostApplicationLifetime lifetime,
    TimeProvider timeProvider, ILogger<StartupWarmUp> logger) : BackgroundService
{
    // Long enough for the tiering's call-counting delay (100 ms) and its background compiler to show in a round.
    private static readonly TimeSpan RoundDuration = TimeSpan.FromMilliseconds(250);

    private static readonly byte[] SampleEvent = Encoding.UTF8.GetBytes(
        """{"id":"warm-up","type":"warm.up","source":"/warm-up","data":{"user":42,"action":"login","tags":["a","b"]}}""");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        try
        {
            if (settings.Enabled && await StartedAsync(stoppingToken))
            {
                await WarmUpAsync(settings, stoppingToken);
            }
        }
        catch (HttpRequestException ex)
        {
            // Readiness must never hang on the warm-up: a failed one only means a colder start.
            LogFailed(logger, ex.Message);
        }
        finally
        {
            state.MarkDone();
        }
    }

    private async Task WarmUpAsync(WarmUpOptions settings, CancellationToken stoppingToken)
    {
        // The first address that takes HTTP/1.1: the cleartext HTTP/2 endpoint (Kestrel:Endpoints:grpc) refuses it.
        foreach (var address in OwnAddresses())
        {
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = settings.Connections, UseProxy = false })
            {
                BaseAddress = address,
            };
            if (await AnswersAsync(http, stoppingToken))
            {
                await WarmUpAsync(http, settings, stoppingToken);
                return;
            }
        }

        LogNoAddress(logger, string.Join(", ", server.Features.Get<IServerAddressesFeature>()?.Addresses ?? []));
    }

    private async Task<bool> AnswersAsync(HttpClient http, CancellationToken cancellationToken)
    {
        try
        {
            using var request = WarmUpRequest();
            using var response = await http.SendAsync(request, cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private async Task WarmUpAsync(HttpClient http, WarmUpOptions settings, CancellationToken stoppingToken)
    {

        // The limit is checked between rounds, never by cancelling requests halfway.
        var started = timeProvider.GetTimestamp();
        var compiledAtStart = JitInfo.GetCompiledMethodCount();
        var compiled = compiledAtStart;
        var quietRounds = 0;
        while (quietRounds < 2 && timeProvider.GetElapsedTime(started) < settings.MaxDuration)
        {
            await Task.WhenAll(Enumerable.Range(0, settings.Connections).Select(_ => SendRoundAsync(http, stoppingToken)));
            var now = JitInfo.GetCompiledMethodCount();
            LogRound(logger, state.RequestsSent, now - compiled);
            quietRounds = WarmUpRounds.IsQuiet(now - compiled, state.RequestsSent, settings) ? quietRounds + 1 : 0;
            compiled = now;
        }

        var seconds = timeProvider.GetElapsedTime(started).TotalSeconds;
        LogWarmedUp(logger, state.RequestsSent, seconds, compiled - compiledAtStart, quietRounds < 2 ? "the time limit (WarmUp:MaxDuration)" : "a quiet JIT");
    }

    private async Task SendRoundAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var roundStarted = timeProvider.GetTimestamp();
        while (timeProvider.GetElapsedTime(roundStarted) < RoundDuration)
        {
            using var request = WarmUpRequest();
            using var response = await http.SendAsync(request, cancellationToken);
            response.EnsureSuccessStatusCode();
            state.CountRequest();
        }
    }

    private HttpRequestMessage WarmUpRequest()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, WarmUpApi.Path)
        {
            Content = new ByteArrayContent(SampleEvent) { Headers = { ContentType = new("application/json") } },
        };
        request.Headers.Add(WarmUpState.TokenHeader, state.Token);
        return request;
    }

    private async Task<bool> StartedAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using var onStopping = stoppingToken.Register(() => started.TrySetCanceled(stoppingToken));
        try
        {
            await started.Task;
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The plain HTTP addresses Kestrel listens on, as loopback URLs this process can call.</summary>
    private IEnumerable<Uri> OwnAddresses()
    {
        foreach (var listening in server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
        {
            if (listening.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
                && Uri.TryCreate(WarmUpRounds.Loopback(listening), UriKind.Absolute, out var address))
            {
                yield return address;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Warmed up with {Requests} requests in {Seconds:F1} s ({Methods} methods compiled), ended by {EndedBy}")]
    private static partial void LogWarmedUp(ILogger logger, int requests, double seconds, long methods, string endedBy);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Warm-up round: {Requests} requests so far, {Methods} methods compiled in the round")]
    private static partial void LogRound(ILogger logger, int requests, long methods);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The warm-up failed ({Reason}); the API is ready without it")]
    private static partial void LogFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No plain HTTP address to warm up through (listening on: {Addresses}); the API is ready without a warm-up")]
    private static partial void LogNoAddress(ILogger logger, string addresses);
}
