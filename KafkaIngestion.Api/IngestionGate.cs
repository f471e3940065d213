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
        var partition = OpenPartition;
        if (_keyHashes.Length > 0)
        {
            if (!TryAuthenticate(http.Request, out var keyIndex))
            {
                return _answers.Unauthorized(http);
            }

            partition = keyIndex.ToString(CultureInfo.InvariantCulture);
        }

        if (_limiter is not null)
        {
            using var lease = _limiter.AttemptAcquire(partition);
            if (!lease.IsAcquired)
            {
                return _answers.RateLimited(http, lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1));
            }
        }

        return await next(context);
    }

    private bool TryAuthenticate(HttpRequest request, out int keyIndex)
    {
        keyIndex = -1;
        if (!request.Headers.TryGetValue(ApiKeyHeader, out var values) || values.Count != 1 || string.IsNullOrEmpty(values[0]))
        {
            return false;
        }

        // Hashes of equal length compared in constant time: timing says nothing about the keys.
        var presented = Hash(values[0]!);
        for (var i = 0; i < _keyHashes.Length; i++)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, _keyHashes[i]))
            {
                keyIndex = i;
            }
        }

        return keyIndex >= 0;
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public void Dispose() => _limiter?.Dispose();
}
