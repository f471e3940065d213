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

    /// <returns>An admission to dispose when the request is answered, or null when no room came in time.</returns>
    public async Task<Admission?> AdmitAsync(long? contentLength, CancellationToken cancellationToken)
    {
        // Chunked bodies are admitted at a nominal size; Kestrel still enforces the body limit.
        var permits = PermitsFor(contentLength ?? 64 * 1024);
        return await AcquireAsync(permits, cancellationToken) is { } lease ? new Admission(this, lease, permits) : null;
    }

    /// <summary>
    /// No request may hold more than a quarter of the budget, so one large (or slow) upload
    /// cannot stop everyone else.
    /// </summary>
    private int PermitsFor(long bytes) => (int)Math.Clamp((bytes + BytesPerPermit - 1) / BytesPerPermit, 1, Math.Max(1, _permitLimit / 4));

    private async Task<RateLimitLease?> AcquireAsync(int permits, CancellationToken cancellationToken)
    {
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

    /// <summary>
    /// The room one request holds. A compressed body's size is known only once decoded, so its
    /// admission can grow: at once when there is room and nobody waits, else by queueing again.
    /// </summary>
    internal sealed class Admission(InFlightBudget budget, RateLimitLease lease, int permits) : IDisposable
    {
        private RateLimitLease? _lease = lease;
        private List<RateLimitLease>? _more; // top-ups, only ever for compressed bodies
        private int _permits = permits;

        /// <summary>Grows the admission to cover <paramref name="bytes"/> only if that needs no wait.</summary>
        public bool TryCover(long bytes)
        {
            var needed = budget.PermitsFor(bytes);
            if (needed <= _permits)
            {
                return true;
            }

            var more = budget._limiter.AttemptAcquire(needed - _permits);
            if (!more.IsAcquired)
            {
                more.Dispose();
                return false;
            }

            (_more ??= []).Add(more);
            _permits = needed;
            return true;
        }

        /// <summary>
        /// Gives back what is held and queues for <paramref name="bytes"/> in all, up to the
        /// publish deadline. Waiting while holding could leave every permit held by requests
        /// that all wait for more.
        /// </summary>
        /// <returns>False when no room came in time: the request is answered 503 holding nothing.</returns>
        public async Task<bool> CoverAsync(long bytes, CancellationToken cancellationToken)
        {
            var needed = budget.PermitsFor(bytes);
            if (needed <= _permits)
            {
                return true;
            }

            Release();
            _lease = await budget.AcquireAsync(needed, cancellationToken);
            _permits = _lease is null ? 0 : needed;
            return _lease is not null;
        }

        public void Dispose() => Release();

        private void Release()
        {
            _lease?.Dispose();
            _lease = null;
            foreach (var more in _more ?? [])
            {
                more.Dispose();
            }

            _more?.Clear();
            _permits = 0;
        }
    }

    public void Dispose() => _limiter.Dispose();
}
