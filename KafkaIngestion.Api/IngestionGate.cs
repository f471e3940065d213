using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Api;

/// <summary>
/// Stands before every ingestion endpoint: a known API key (when keys are configured), then
/// that key's rate limit. Authentication comes first so that unknown keys never get a bucket
/// of their own. Health and status endpoints are not behind it.
/// </summary>
internal sealed class IngestionGate : IEndpointFilter, IDisposable
{
    public const string ApiKeyHeader = "X-Api-Key";
    private const string OpenPartition = "(no keys configured)";

    private readonly byte[][] _keyHashes;
    private readonly PartitionedRateLimiter<string>? _limiter;
    private readonly IngestionAnswers _answers;

    public IngestionGate(IOptions<IngestionOptions> options, IngestionAnswers answers)
    {
        var settings = options.Value;
        _answers = answers;
        _keyHashes = [.. settings.ApiKeys.Select(Hash)];
        if (settings.RateLimitPerSecond > 0)
        {
            var perSecond = settings.RateLimitPerSecond;
            var burst = settings.RateLimitBurst > 0 ? settings.RateLimitBurst : perSecond;
            _limiter = PartitionedRateLimiter.Create<string, string>(partition => RateLimitPartition.GetTokenBucketLimiter(partition,
                _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = burst,
                    // Refilled ten times a second so that a limit is smooth, not a burst per second.
                    TokensPerPeriod = Math.Max(1, perSecond / 10),
                    ReplenishmentPeriod = TimeSpan.FromMilliseconds(Math.Max(1, perSecond / 10) * 1000.0 / perSecond),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                }));
        }
    }

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!TryAuthenticate(http.Request.Headers.TryGetValue(ApiKeyHeader, out var values) && values.Count == 1 ? values[0] : null, out var partition))
        {
            return _answers.Unauthorized(http);
        }

        if (!TryAcquire(partition, out var retryAfter))
        {
            return _answers.RateLimited(http, retryAfter);
        }

        return await next(context);
    }

    /// <summary>
    /// Whether <paramref name="presentedKey"/> is a configured key (any key when none are
    /// configured); <paramref name="partition"/> names its rate-limit bucket. The HTTP filter and
    /// gRPC's interceptor both ask here.
    /// </summary>
    public bool TryAuthenticate(string? presentedKey, out string partition)
    {
        partition = OpenPartition;
        if (_keyHashes.Length == 0)
        {
            return true;
        }

        if (string.IsNullOrEmpty(presentedKey))
        {
            return false;
        }

        // Hashes of equal length compared in constant time: timing says nothing about the keys.
        var presented = Hash(presentedKey);
        var keyIndex = -1;
        for (var i = 0; i < _keyHashes.Length; i++)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, _keyHashes[i]))
            {
                keyIndex = i;
            }
        }

        partition = keyIndex.ToString(CultureInfo.InvariantCulture);
        return keyIndex >= 0;
    }

    /// <summary>Takes one request's token from the key's bucket; false, with when to retry, when it is empty.</summary>
    public bool TryAcquire(string partition, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (_limiter is null)
        {
            return true;
        }

        using var lease = _limiter.AttemptAcquire(partition);
        if (lease.IsAcquired)
        {
            return true;
        }

        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        return false;
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public void Dispose() => _limiter?.Dispose();
}
