using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace KafkaIngestion.ConsumerApi;

/// <summary>
/// The consumer's HTTP API, typed: every service and test that talks to the consumer goes
/// through it. An answer other than 2xx throws <see cref="HttpRequestException"/> with its
/// status code; a body that is not the expected JSON throws <see cref="JsonException"/>.
/// </summary>
/// <param name="http">A client whose base address is the consumer.</param>
/// <param name="statusPoller">
/// When set, reads of status and recent events carry the status-poll header with this name,
/// so the consumer leaves them untraced (a poll a second would bury real traffic).
/// </param>
public sealed class ConsumerApiClient(HttpClient http, string? statusPoller = null)
{
    public Task<ConsumerStatus> GetStatusAsync(CancellationToken cancellationToken) =>
        GetAsync("status", ConsumerApiJsonContext.Default.ConsumerStatus, cancellationToken);

    public Task<RecentEventsResult> GetRecentEventsAsync(int limit, CancellationToken cancellationToken) =>
        GetAsync(string.Create(CultureInfo.InvariantCulture, $"processed/recent?limit={limit}"),
            ConsumerApiJsonContext.Default.RecentEventsResult, cancellationToken);

    /// <summary>How many times the store holds each id (at most <see cref="ProcessedQuery.MaxIds"/> per query).</summary>
    public Task<ProcessedQueryResult> QueryProcessedAsync(IReadOnlyList<string> ids, bool includeDelays, CancellationToken cancellationToken) =>
        PostAsync("processed/query", JsonContent.Create(new ProcessedQuery(ids, includeDelays), ConsumerApiJsonContext.Default.ProcessedQuery),
            ConsumerApiJsonContext.Default.ProcessedQueryResult, cancellationToken);

    /// <summary>Asks the consumer to read its partitions again from <paramref name="from"/>; it answers 202 at once.</summary>
    public async Task ReplayAsync(string? from, CancellationToken cancellationToken)
    {
        using var content = ReplayContent(from);
        using var response = await http.PostAsync("replay", content, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }

    public Task<DeadLetterReprocessResult> ReprocessDeadLettersAsync(CancellationToken cancellationToken) =>
        PostAsync("dead-letters/reprocess", content: null, ConsumerApiJsonContext.Default.DeadLetterReprocessResult, cancellationToken);

    /// <summary>The body of <c>POST /replay</c>, for callers that send the request themselves (the dashboard's commands).</summary>
    public static JsonContent ReplayContent(string? from) =>
        JsonContent.Create(new ReplayRequest(from), ConsumerApiJsonContext.Default.ReplayRequest);

    private async Task<T> GetAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (statusPoller is not null)
        {
            request.Headers.Add(Microsoft.Extensions.Hosting.Extensions.StatusPollHeader, statusPoller);
        }

        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, type, cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> PostAsync<T>(string path, HttpContent? content, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using (content)
        {
            using var response = await http.PostAsync(path, content, cancellationToken).ConfigureAwait(false);
            return await ReadAsync(response, type, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync(type, cancellationToken).ConfigureAwait(false)
            ?? throw new JsonException("The consumer answered null.");
    }
}
