using System.Text.Json;
using KafkaIngestion.ConsumerApi;
using Microsoft.Extensions.Options;
using OpenTelemetry;

namespace KafkaIngestion.Api.WebConsole;

/// <summary>One reading of the consumer: its status and newest events, or why it did not answer.</summary>
internal sealed record ConsumerReading(ConsumerStatus? Status, IReadOnlyList<RecentEvent> Recent, string? Error)
{
    public static ConsumerReading Unreachable(string error) => new(null, [], error);
}

/// <summary>
/// Reads the consumer's <c>GET /status</c> and <c>GET /processed/recent</c> over HTTP for the web
/// console. The API does not depend on the consumer: whatever goes wrong (not started, crashed,
/// not configured, slow) becomes an answer that says the consumer is unreachable, within
/// <see cref="ConsoleOptions.PollTimeout"/>.
/// </summary>
internal sealed class ConsumerPoller(IHttpClientFactory httpClients, IOptions<ConsoleOptions> options)
{
    /// <summary>The named HTTP client (base address Console:ConsumerUrl); one per poll, so the factory rotates its handlers.</summary>
    public const string HttpClientName = "console-consumer";

    public async Task<ConsumerReading> ReadAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.PollTimeout);
        // A poll every second while someone watches: traced, it would bury real traffic in the
        // dashboard (the consumer leaves requests marked as status polls untraced too).
        using var untraced = SuppressInstrumentationScope.Begin();
        var consumer = new ConsumerApiClient(httpClients.CreateClient(HttpClientName), statusPoller: "web-console");
        try
        {
            var status = consumer.GetStatusAsync(timeout.Token);
            var recent = consumer.GetRecentEventsAsync(settings.RecentEvents, timeout.Token);
            await Task.WhenAll(status, recent).ConfigureAwait(false);
            return new ConsumerReading(await status.ConfigureAwait(false), (await recent.ConfigureAwait(false)).Events, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ConsumerReading.Unreachable($"no answer within {settings.PollTimeout.TotalMilliseconds:F0} ms");
        }
        catch (HttpRequestException ex)
        {
            return ConsumerReading.Unreachable(ex.StatusCode is { } code ? $"answered {(int)code} {code}" : ex.Message);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            return ConsumerReading.Unreachable($"answered something that is not its status: {ex.Message}");
        }
        catch (InvalidOperationException ex)
        {
            // Service discovery found no address for the consumer (the API runs without the AppHost).
            return ConsumerReading.Unreachable(ex.Message);
        }
    }
}
