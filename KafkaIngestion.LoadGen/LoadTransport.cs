using KafkaIngestion.Http;

namespace KafkaIngestion.LoadGen;

/// <summary>One answer to one attempt.</summary>
/// <param name="RetryAfter">The server's <c>Retry-After</c> in seconds (the delta form), when it sent one.</param>
/// <param name="Body">The answer's body, only when the caller asked for it (a batch's per-event outcome).</param>
internal readonly record struct TransportAnswer(int StatusCode, TimeSpan? RetryAfter, byte[]? Body);

/// <summary>An attempt that got no answer, by kind (the kinds <see cref="HttpRequestError"/> names, or <c>Timeout</c>).</summary>
internal class TransportException(string kind, string message, Exception? inner = null) : Exception(message, inner)
{
    public const string TimeoutKind = "Timeout";

    public string Kind { get; } = kind;
}

/// <summary>
/// Puts a run's requests on the wire. Each attempt either returns the answer, throws a
/// <see cref="TransportException"/> (no answer: the connection failed, the answer was cut off or
/// unreadable, the request timed out), or throws <see cref="OperationCanceledException"/> when
/// the run is stopped.
/// </summary>
internal interface ILoadTransport : IDisposable
{
    ValueTask<TransportAnswer> SendAsync(RequestBody body, bool readBody, CancellationToken stop);
}

internal static class LoadTransport
{
    /// <summary>
    /// The lean HTTP/1.1 client for plain http targets (the generator must cost the machine as
    /// little as possible per request); <see cref="HttpClient"/> for https and when asked for.
    /// </summary>
    public static ILoadTransport For(Uri target, LoadGenOptions settings, int connections) =>
        target.Scheme == Uri.UriSchemeHttp && settings.Client == LoadGenOptions.SocketsClient
            ? new Http1Transport(target, settings.ApiKey, ContentEncoding(settings), settings.RequestTimeout)
            : new HttpClientTransport(target, settings.ApiKey, ContentEncoding(settings), settings.RequestTimeout, connections);

    /// <summary>The <c>Content-Encoding</c> every request of the run carries: the bodies are compressed by <see cref="EventFactory"/>.</summary>
    private static string? ContentEncoding(LoadGenOptions settings) => settings.Coding == ContentCoding.Identity ? null : settings.Coding.Name();
}

/// <summary>Sends through <see cref="HttpClient"/> over a plain <see cref="SocketsHttpHandler"/>.</summary>
internal sealed class HttpClientTransport : ILoadTransport
{
    private readonly HttpClient _http;
    private readonly Uri _target;
    private readonly string? _contentEncoding;

    public HttpClientTransport(Uri target, string? apiKey, string? contentEncoding, TimeSpan timeout, int connections)
    {
        _target = target;
        _contentEncoding = contentEncoding;
        // A plain handler, no retries or resilience: a measuring instrument must see every
        // failure as it happens and add as little as possible to each request.
        _http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            UseCookies = false,
            UseProxy = false,
        })
        {
            Timeout = timeout,
        };
        if (!string.IsNullOrEmpty(apiKey))
        {
            _http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }
    }

    public async ValueTask<TransportAnswer> SendAsync(RequestBody body, bool readBody, CancellationToken stop)
    {
        try
        {
            using var content = new ByteArrayContent(body.Content);
            content.Headers.ContentType = body.ContentType;
            if (_contentEncoding is not null)
            {
                content.Headers.ContentEncoding.Add(_contentEncoding);
            }
            using var request = new HttpRequestMessage(HttpMethod.Post, _target) { Content = content };
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop);
            var code = (int)response.StatusCode;
            var answer = readBody && code is >= 200 and < 300 ? await response.Content.ReadAsByteArrayAsync(stop) : null;
            return new TransportAnswer(code, response.Headers.RetryAfter?.Delta, answer);
        }
        catch (HttpRequestException ex)
        {
            throw new TransportException(ex.HttpRequestError.ToString(), ex.Message, ex);
        }
        catch (TaskCanceledException ex) when (!stop.IsCancellationRequested)
        {
            // HttpClient.Timeout surfaces as a cancellation the run did not ask for.
            throw new TransportException(TransportException.TimeoutKind, ex.Message, ex);
        }
    }

    public void Dispose() => _http.Dispose();
}
