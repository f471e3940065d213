using KafkaIngestion.Http;
using System.Net;

namespace KafkaIngestion.LoadGen;

/// <summary>One answer to one attempt.</summary>
/// <param name="RetryAfter">The server's <c>Retry-After</c> in seconds (the delta form), when it sent one.</param>
/// <param name="Body">The answer's body, only when the caller asked for it (a batch's per-event outcome).</param>
/// <param name="Accepted">A batch's accepted ids when the transport read them itself (gRPC), instead of a JSON body.</param>
/// <param name="Rejected">With <paramref name="Accepted"/>: how many of the batch's events were rejected.</param>
internal readonly record struct TransportAnswer(int StatusCode, TimeSpan? RetryAfter, byte[]? Body, IReadOnlyCollection<string>? Accepted = null, int Rejected = 0);

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
        settings.Protocol == LoadGenOptions.GrpcProtocol
            ? settings.BatchSize > 1
                ? new GrpcBatchTransport(target, settings.ApiKey, settings.RequestTimeout)
                : new GrpcStreamTransport(target, settings.ApiKey, settings.RequestTimeout, streams: Math.Clamp(connections / 64, 1, 8))
        : settings.Http2 ? new HttpClientTransport(target, settings.ApiKey, ContentEncoding(settings), settings.RequestTimeout, connections, http2: true)
        : target.Scheme == Uri.UriSchemeHttp && settings.Client == LoadGenOptions.SocketsClient
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
    private readonly Version _version;

    /// <param name="http2">HTTP/2 with prior knowledge (h2c), many requests per connection (more connections only past the server's stream limit).</param>
    public HttpClientTransport(Uri target, string? apiKey, string? contentEncoding, TimeSpan timeout, int connections, bool http2 = false)
    {
        _target = target;
        _contentEncoding = contentEncoding;
        _version = http2 ? HttpVersion.Version20 : HttpVersion.Version11;
        // A plain handler, no retries or resilience: a measuring instrument must see every
        // failure as it happens and add as little as possible to each request.
        _http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            UseCookies = false,
            UseProxy = false,
        })
        {
            Timeout = timeout,
            DefaultRequestVersion = _version,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
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
            using var request = new HttpRequestMessage(HttpMethod.Post, _target) { Content = content, Version = _version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
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
