using System.Buffers.Text;
using System.Text;

namespace KafkaIngestion.LoadGen;

/// <summary>What the generator needs from an answer's status line and headers.</summary>
/// <param name="ContentLength">-1 when absent.</param>
/// <param name="Close">The server closes the connection after this answer.</param>
internal readonly record struct ResponseHead(int StatusCode, long ContentLength, bool Chunked, bool Close, TimeSpan? RetryAfter)
{
    /// <summary>Parses the status line and header lines (each ending in CRLF, the empty line not included).</summary>
    public static ResponseHead Parse(ReadOnlySpan<byte> block)
    {
        var lineEnd = block.IndexOf("\r\n"u8);
        var statusLine = block[..lineEnd];
        // HTTP/1.x SSS reason
        if (statusLine.Length < 12 || !statusLine.StartsWith("HTTP/1."u8) || statusLine[8] != (byte)' '
            || !Utf8Parser.TryParse(statusLine.Slice(9, 3), out int status, out var consumed) || consumed != 3 || status < 100)
        {
            throw Http1Connection.Invalid("The answer does not start with an HTTP/1.x status line.");
        }

        // HTTP/1.0 closes after each answer unless it says keep-alive; HTTP/1.1 keeps it unless it says close.
        var http10 = statusLine[7] == (byte)'0';
        var close = http10;
        long contentLength = -1;
        var chunked = false;
        TimeSpan? retryAfter = null;
        var rest = block[(lineEnd + 2)..];
        while (rest.Length > 0)
        {
            lineEnd = rest.IndexOf("\r\n"u8);
            var line = rest[..lineEnd];
            rest = rest[(lineEnd + 2)..];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                throw Http1Connection.Invalid("A header line has no name.");
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (!Utf8Parser.TryParse(value, out contentLength, out consumed) || consumed != value.Length || contentLength < 0)
                {
                    throw Http1Connection.Invalid("Content-Length is not a number.");
                }
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                chunked = HasToken(value, "chunked"u8);
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                close = HasToken(value, "close"u8) || (http10 && !HasToken(value, "keep-alive"u8));
            }
            else if (Ascii.EqualsIgnoreCase(name, "Retry-After"u8))
            {
                // Seconds only; the date form is left to the caller's backoff, as with HttpClient's Delta.
                retryAfter = Utf8Parser.TryParse(value, out int seconds, out consumed) && consumed == value.Length && seconds >= 0
                    ? TimeSpan.FromSeconds(seconds)
                    : null;
            }
        }

        return new ResponseHead(status, contentLength, chunked, close, retryAfter);
    }

    /// <summary>A comma-separated header value names <paramref name="token"/> (any case).</summary>
    private static bool HasToken(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        foreach (var range in value.Split((byte)','))
        {
            if (Ascii.EqualsIgnoreCase(value[range].Trim(" \t"u8), token))
            {
                return true;
            }
        }

        return false;
    }
}
