using System.Security.Cryptography;
using System.Text;

namespace KafkaIngestion.Api.WarmUp;

/// <summary>
/// Whether the warm-up is over, and the one-time token its requests carry: the warm-up route
/// answers only those, and only until the warm-up ends.
/// </summary>
internal sealed class WarmUpState
{
    public const string TokenHeader = "X-Warm-Up-Token";

    private readonly byte[] _tokenBytes;
    private volatile bool _done;
    private int _requestsSent;

    public WarmUpState()
    {
        Token = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        _tokenBytes = Encoding.ASCII.GetBytes(Token);
    }

    public string Token { get; }

    public bool IsDone => _done;

    public int RequestsSent => Volatile.Read(ref _requestsSent);

    public void CountRequest() => Interlocked.Increment(ref _requestsSent);

    public void MarkDone() => _done = true;

    public bool Admits(HttpRequest request) =>
        !_done && request.Headers.TryGetValue(TokenHeader, out var token)
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(token.ToString()), _tokenBytes);
}
