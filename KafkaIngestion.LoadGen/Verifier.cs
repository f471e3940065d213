using KafkaIngestion.ConsumerApi;

namespace KafkaIngestion.LoadGen;

/// <summary>
/// After a run, asks the consumer (<c>POST /processed/query</c>) whether each accepted event was
/// stored, until all are or the timeout passes. An accepted event still missing then is
/// <b>lost</b>; one the store holds more than once is <b>duplicated</b>. Also measures, per
/// event, the time from the API's acceptance to storage.
/// </summary>
internal sealed partial class Verifier(ILogger<Verifier> logger)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(5);

    public async Task<VerificationReport> VerifyAsync(ConsumerApiClient consumer, IReadOnlyCollection<string> acceptedIds, TimeSpan timeout, CancellationToken cancellationToken)
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
                foreach (var chunk in pending.Chunk(ProcessedQuery.MaxIds).ToList())
                {
                    ProcessedQueryResult answer;
                    try
                    {
                        answer = await consumer.QueryProcessedAsync(chunk, includeDelays: true, deadline.Token);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Asking the consumer failed, trying again: {Reason}")]
    private static partial void LogQueryFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Verifying: {Stored} of {Accepted} accepted events stored so far")]
    private static partial void LogWaiting(ILogger logger, long stored, int accepted);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Lost} of {Accepted} acknowledged events were never stored (waited {Seconds:F0} s); first: {FirstLost}")]
    private static partial void LogLost(ILogger logger, int lost, int accepted, double seconds, string firstLost);
}
