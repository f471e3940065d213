using System.Security.Cryptography;

namespace KafkaIngestion.Api.WarmUp;

/// <summary>
/// Whether the warm-up is over, and the one-time token its requests carry: the warm-up route
/// answers only those, and only until the warm-up ends.
/// </summary>
internal sealed class WarmUpState
{
    public const string TokenHeader = "X-Warm-Up-Token";

    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Token { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));

    public bool IsDone => _done.Task.IsCompleted;

    private int _requestsSent;

    public int RequestsSent => Volatile.Read(ref _requestsSent);

    public void CountRequest() => Interlocked.Increment(ref _requestsSent);

    public void MarkDone() => _done.TrySetResult();

    public bool Admits(HttpRequest request) =>
        !IsDone && request.Headers.TryGetValue(TokenHeader, out var token) && CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.ASCII.GetBytes(token.ToString()), System.Text.Encoding.ASCII.GetBytes(Token));
}
