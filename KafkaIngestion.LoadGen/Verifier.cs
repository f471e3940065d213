using System.Text.Json;

namespace KafkaIngestion.LoadGen;

/// <summary>
/// After a run, asks the consumer (<c>POST /processed/query</c>) whether each accepted event was
/// stored, until all are or the timeout passes. An accepted event still missing then is
/// <b>lost</b>; one the store holds more than once is <b>duplicated</b>. Also measures, per
/// event, the time from the API's acceptance to storage.
/// </summary>
internal sealed partial class Verifier(ILogger<Verifier> logger)
{
    /// <summary>The consumer's limit per query.</summary>
    public const int IdsPerQuery = 10_000;

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(5);

    public async Task<VerificationReport> VerifyAsync(HttpClient consumer, IReadOnlyCollection<string> acceptedIds, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        var pending = new HashSet<string>(acceptedIds, StringComparer.Ordinal);
        var endToEnd = LatencySummary.NewHistogram();
        long stored = 0, duplicated = 0;
        string? lastError = null;
        var lastProgress = started;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            while (pending.Count > 0)
            {
                foreach (var chunk in pending.Chunk(IdsPerQuery).ToList())
                {
                    ProcessedAnswer answer;
                    try
                    {
                        answer = await QueryAsync(consumer, chunk, deadline.Token);
                    }
                    catch (HttpRequestException ex) when (!deadline.IsCancellationRequested)
                    {
                        // The consumer is restarting or its store is busy: ask again next round.
                        lastError = ex.Message;
                        LogQueryFailed(logger, ex.Message);
                        break;
                    }

                    foreach (var id in chunk)
                    {
                        var times = answer.TimesProcessed.GetValueOrDefault(id);
                        if (times == 0)
                        {
                            continue;
                        }

                        pending.Remove(id);
                        stored++;
                        duplicated += times > 1 ? 1 : 0;
                        if (answer.StoredAfterMs?.TryGetValue(id, out var ms) == true)
                        {
                            endToEnd.RecordValue(Math.Clamp((long)(ms * 1000), 1, LatencySummary.HighestTrackableMicroseconds));
                        }
                    }
                }

                if (pending.Count > 0)
                {
                    if (TimeProvider.System.GetElapsedTime(lastProgress) >= ProgressInterval)
                    {
                        lastProgress = TimeProvider.System.GetTimestamp();
                        LogWaiting(logger, stored, acceptedIds.Count);
                    }

                    await Task.Delay(PollInterval, deadline.Token);
                }
            }
        }
        catch (Exception ex) when ((ex is OperationCanceledException or HttpRequestException) && deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // The timeout passed: whatever is still pending was acknowledged and never stored.
        }

        var waited = TimeProvider.System.GetElapsedTime(started).TotalSeconds;
        var lostIds = pending.Order(StringComparer.Ordinal).Take(20).ToList();
        if (pending.Count > 0)
        {
            LogLost(logger, pending.Count, acceptedIds.Count, waited, string.Join(", ", lostIds.Take(5)));
        }

        return new VerificationReport(stored, pending.Count, duplicated, lostIds, Math.Round(waited, 2), LatencySummary.From(endToEnd), pending.Count > 0 ? lastError : null);
    }

    private static async Task<ProcessedAnswer> QueryAsync(HttpClient consumer, string[] ids, CancellationToken cancellationToken)
    {
        using var response = await consumer.PostAsJsonAsync("processed/query", new ProcessedQuestion(ids, IncludeDelays: true), LoadGenWireContext.Default.ProcessedQuestion, cancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync(LoadGenWireContext.Default.ProcessedAnswer, cancellationToken)
            ?? throw new JsonException("The consumer answered null.");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Asking the consumer failed, trying again: {Reason}")]
    private static partial void LogQueryFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Verifying: {Stored} of {Accepted} accepted events stored so far")]
    private static partial void LogWaiting(ILogger logger, long stored, int accepted);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Lost} of {Accepted} acknowledged events were never stored (waited {Seconds:F0} s); first: {FirstLost}")]
    private static partial void LogLost(ILogger logger, int lost, int accepted, double seconds, string firstLost);
}

/// <summary>The consumer's <c>POST /processed/query</c> body.</summary>
internal sealed record ProcessedQuestion(IReadOnlyList<string> Ids, bool IncludeDelays);

/// <summary>The consumer's answer.</summary>
internal sealed record ProcessedAnswer(Dictionary<string, int> TimesProcessed, Dictionary<string, double>? StoredAfterMs);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[System.Text.Json.Serialization.JsonSerializable(typeof(ProcessedQuestion))]
[System.Text.Json.Serialization.JsonSerializable(typeof(ProcessedAnswer))]
internal sealed partial class LoadGenWireContext : System.Text.Json.Serialization.JsonSerializerContext;
