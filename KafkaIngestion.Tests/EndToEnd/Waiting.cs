namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>Polling with a deadline: every wait in these tests ends, one way or the other.</summary>
internal static class Waiting
{
    public static async Task<T> UntilAsync<T>(Func<CancellationToken, Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var last = default(T);
        try
        {
            while (true)
            {
                last = await probe(deadline.Token);
                if (done(last))
                {
                    return last;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(250), deadline.Token);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"Gave up after {timeout.TotalSeconds:F0} s waiting for {what}; last seen: {last}");
        }
    }
}
