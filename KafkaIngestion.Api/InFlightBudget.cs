using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Api;

/// <summary>
/// Bounds the request bytes being worked on at once (parsed, queued in the producer, awaiting
/// acknowledgement), which is what the API's memory grows with. A request waits for room, in
/// arrival order, up to the publish deadline; then it is answered 503 rather than let the
/// process grow without bound.
/// </summary>
internal sealed class InFlightBudget : IDisposable
{
    private const int BytesPerPermit = 1024;

    private readonly ConcurrencyLimiter _limiter;
    private readonly int _permitLimit;
    private readonly TimeSpan _maxWait;

    public InFlightBudget(IOptions<IngestionOptions> options)
    {
        _permitLimit = Math.Max(1, options.Value.MaxInFlightBytes / BytesPerPermit);
        _maxWait = options.Value.PublishTimeout;
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = _permitLimit,
            QueueLimit = _permitLimit * 64,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>Free room, in bytes, right now; for status.</summary>
    public long AvailableBytes => (_limiter.GetStatistics()?.CurrentAvailablePermits ?? 0) * (long)BytesPerPermit;

    /// <returns>A lease to dispose when the request is answered, or null when no room came in time.</returns>
    public async Task<RateLimitLease?> AdmitAsync(long? contentLength, CancellationToken cancellationToken)
    {
        // Chunked bodies are admitted at a nominal size; Kestrel still enforces the body limit.
        // No request may hold more than a quarter of the budget, so one large (or slow) upload
        // cannot stop everyone else.
        var permits = (int)Math.Clamp(((contentLength ?? 64 * 1024) + BytesPerPermit - 1) / BytesPerPermit, 1, Math.Max(1, _permitLimit / 4));

        // Room now (and nobody queued before this request): no deadline timer to set up.
        var immediate = _limiter.AttemptAcquire(permits);
        if (immediate.IsAcquired)
        {
            return immediate;
        }

        immediate.Dispose();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_maxWait);
        try
        {
            var lease = await _limiter.AcquireAsync(permits, deadline.Token);
            if (lease.IsAcquired)
            {
                return lease;
            }

            lease.Dispose();
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    public void Dispose() => _limiter.Dispose();
}
