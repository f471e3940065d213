using System.Collections.Concurrent;
using System.Text;

namespace KafkaIngestion.LoadGen;

/// <summary>
/// A lean HTTP/1.1 client for plain http targets, what wrk does in C: keep-alive connections,
/// each request written in one send from a head prepared once per content type, and the answer
/// parsed in place (status line, <c>Content-Length</c> or chunked body, <c>Connection: close</c>,
/// <c>Retry-After</c>). <see cref="HttpClient"/> builds a request message, content, header
/// collections, a timeout and its handler chain per request; on a two-core machine shared with
/// the target, every cycle the client spends is taken from the system it measures.
/// </summary>
/// <remarks>
/// One request per connection at a time (no pipelining); a connection is reused only after its
/// answer was read in full. A kept-alive connection the server closed meanwhile (idle timeout,
/// restart) fails before any byte of the answer: the request then goes once more on a new
/// connection, as <see cref="HttpClient"/> does. Any other failure closes the connection.
/// </remarks>
/// <param name="contentEncoding">Sent on every request when the run compresses its bodies.</param>
internal sealed class Http1Transport(Uri target, string? apiKey, string? contentEncoding, TimeSpan timeout) : ILoadTransport
{
    private readonly ConcurrentBag<Http1Connection> _idle = [];
    // By instance: the run's few content types are shared objects, and a lookup by reference
    // builds no string per request.
    private readonly ConcurrentDictionary<object, byte[]> _heads = new(ReferenceEqualityComparer.Instance);
    private volatile bool _disposed;

    public async ValueTask<TransportAnswer> SendAsync(RequestBody body, bool readBody, CancellationToken stop)
    {
        var head = _heads.GetOrAdd(body.ContentType, Head);
        var fresh = false;
        while (true)
        {
            var connection = !fresh && _idle.TryTake(out var idle) ? idle : new Http1Connection(target);
            try
            {
                var answer = await connection.SendAsync(head, body.Content, readBody, timeout, stop);
                if (connection.CanReuse && !_disposed)
                {
                    _idle.Add(connection);
                }
                else
                {
                    connection.Dispose();
                }

                return answer;
            }
            catch (StaleConnectionException) when (!fresh)
            {
                connection.Dispose();
                fresh = true;
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }
    }

    /// <summary>Everything before the body's length: the same for every request of one content type.</summary>
    private byte[] Head(object contentType)
    {
        var head = new StringBuilder()
            .Append("POST ").Append(target.PathAndQuery).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(target.Authority).Append("\r\n")
            .Append("Content-Type: ").Append(contentType).Append("\r\n");
        if (contentEncoding is not null)
        {
            head.Append("Content-Encoding: ").Append(contentEncoding).Append("\r\n");
        }

        if (!string.IsNullOrEmpty(apiKey))
        {
            head.Append("X-Api-Key: ").Append(apiKey).Append("\r\n");
        }

        return Encoding.ASCII.GetBytes(head.Append("Content-Length: ").ToString());
    }

    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var connection))
        {
            connection.Dispose();
        }
    }
}
