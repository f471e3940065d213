namespace KafkaIngestion.Api.WarmUp;

/// <summary>The warm-up's rules, apart from its loop so they can be tested alone.</summary>
internal static class WarmUpRounds
{
    /// <summary>Whether a round compiled so little, after enough requests, that the hot paths are done.</summary>
    public static bool IsQuiet(long methodsCompiledInRound, int requestsSoFar, WarmUpOptions options) =>
        requestsSoFar >= options.MinRequests && methodsCompiledInRound < options.QuietMethodsPerRound;

    /// <summary>
    /// A listening address as one this process can call: Kestrel reports wildcard hosts
    /// (<c>http://+:8080</c>, <c>http://[::]:8080</c>, <c>http://0.0.0.0:8080</c>) as they were configured.
    /// </summary>
    public static string Loopback(string listeningAddress)
    {
        var schemeEnd = listeningAddress.IndexOf("://", StringComparison.Ordinal) + 3;
        var portStart = listeningAddress.LastIndexOf(':');
        if (schemeEnd < 3 || portStart < schemeEnd)
        {
            return listeningAddress;
        }

        var host = listeningAddress[schemeEnd..portStart];
        return host is "+" or "*" or "[::]" or "0.0.0.0"
            ? string.Concat(listeningAddress.AsSpan(0, schemeEnd), "localhost", listeningAddress.AsSpan(portStart))
            : listeningAddress;
    }
}
