using System.Buffers;
using System.Buffers.Text;
using System.Net.Sockets;
using System.Numerics;

namespace KafkaIngestion.LoadGen;

/// <summary>One keep-alive connection; one request at a time.</summary>
internal sealed class Http1Connection(Uri target) : IDisposable
{
    // Headers and chunk-size lines must fit; bodies are read through the buffer, never held whole
    // unless asked for.
    private const int MaxHeaderBytes = 64 * 1024;

    private readonly Socket _socket = new(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    private byte[] _send = new byte[1024];
    private byte[] _receive = new byte[8 * 1024];
    private int _start;
    private int _end;
    private bool _connected;
    private int _requests;
    private bool _receivedAny;

    // One source per connection, re-armed per request: a per-request timeout without allocating.
    private CancellationTokenSource? _deadline;
    private CancellationToken _linkedTo;

    /// <summary>The last answer was read in full and the server keeps the connection open.</summary>
    public bool CanReuse { get; private set; }

    public async ValueTask<TransportAnswer> SendAsync(byte[] head, byte[] body, bool readBody, TimeSpan timeout, CancellationToken stop)
    {
        CanReuse = false;
        var reused = _requests++ > 0;
        _receivedAny = false;
        if (_deadline is null || _linkedTo != stop)
        {
            _deadline?.Dispose();
            _deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
            _linkedTo = stop;
        }

        _deadline.CancelAfter(timeout);
        try
        {
            var token = _deadline.Token;
            if (!_connected)
            {
                await _socket.ConnectAsync(target.Host, target.Port, token);
                _connected = true;
            }

            var length = WriteRequest(head, body);
            for (var sent = 0; sent < length;)
            {
                sent += await _socket.SendAsync(_send.AsMemory(sent, length - sent), SocketFlags.None, token);
            }

            var answer = await ReadAnswerAsync(readBody, reused, token);
            if (!_deadline.TryReset())
            {
                // The timer fired just as the answer completed: this source is spent.
                _deadline.Dispose();
                _deadline = null;
            }

            return answer;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException ex)
        {
            throw new TransportException(TransportException.TimeoutKind, $"No answer within {timeout.TotalSeconds:F1} s.", ex);
        }
        catch (SocketException ex) when (reused && !_receivedAny)
        {
            throw new StaleConnectionException(ex.Message, ex);
        }
        catch (SocketException ex)
        {
            throw new TransportException(nameof(HttpRequestError.ConnectionError), ex.Message, ex);
        }
    }

    private int WriteRequest(byte[] head, byte[] body)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(body.Length, digits, out var digitCount);
        var length = head.Length + digitCount + 4 + body.Length;
        if (_send.Length < length)
        {
            _send = new byte[(int)BitOperations.RoundUpToPowerOf2((uint)length)];
        }

        var span = _send.AsSpan();
        head.CopyTo(span);
        digits[..digitCount].CopyTo(span[head.Length..]);
        "\r\n\r\n"u8.CopyTo(span[(head.Length + digitCount)..]);
        body.CopyTo(span[(head.Length + digitCount + 4)..]);
        return length;
    }

    private async ValueTask<TransportAnswer> ReadAnswerAsync(bool readBody, bool reused, CancellationToken token)
    {
        // No pipelining: nothing of an earlier answer is left over.
        _start = _end = 0;
        while (true)
        {
            int headerEnd;
            while ((headerEnd = _receive.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8)) < 0)
            {
                if (!await FillAsync(MaxHeaderBytes, token))
                {
                    throw !_receivedAny && reused
                        ? new StaleConnectionException("The server had closed the kept-alive connection.")
                        : Ended();
                }
            }

            var head = ResponseHead.Parse(_receive.AsSpan(_start, headerEnd + 2));
            _start += headerEnd + 4;
            if (head.StatusCode < 200)
            {
                // An interim answer (100 Continue, 103 Early Hints): the real one follows.
                continue;
            }

            var kept = readBody && head.StatusCode is >= 200 and < 300 ? new ArrayBufferWriter<byte>() : null;
            var close = head.Close;
            if (head.StatusCode is 204 or 304)
            {
                // No body, whatever the headers say.
            }
            else if (head.Chunked)
            {
                await ReadChunkedAsync(kept, token);
            }
            else if (head.ContentLength >= 0)
            {
                await ReadExactlyAsync(head.ContentLength, kept, token);
            }
            else
            {
                // Neither length nor chunks: the body ends when the server closes the connection.
                while (_start < _end || await FillAsync(MaxHeaderBytes, token))
                {
                    kept?.Write(_receive.AsSpan(_start, _end - _start));
                    _start = _end;
                }

                close = true;
            }

            CanReuse = !close;
            return new TransportAnswer(head.StatusCode, head.RetryAfter, kept?.WrittenSpan.ToArray());
        }
    }

    private async ValueTask ReadExactlyAsync(long count, ArrayBufferWriter<byte>? kept, CancellationToken token)
    {
        while (count > 0)
        {
            if (_start == _end && !await FillAsync(MaxHeaderBytes, token))
            {
                throw Ended();
            }

            var take = (int)Math.Min(count, _end - _start);
            kept?.Write(_receive.AsSpan(_start, take));
            _start += take;
            count -= take;
        }
    }

    private async ValueTask ReadChunkedAsync(ArrayBufferWriter<byte>? kept, CancellationToken token)
    {
        while (true)
        {
            var (offset, length) = await ReadLineAsync(token);
            var size = ChunkSize(_receive.AsSpan(offset, length));
            if (size == 0)
            {
                // Trailer fields, if any, up to the empty line.
                while ((await ReadLineAsync(token)).Length > 0)
                {
                }

                return;
            }

            await ReadExactlyAsync(size, kept, token);
            if ((await ReadLineAsync(token)).Length != 0)
            {
                throw Invalid("A chunk is longer than its size.");
            }
        }
    }

    internal static long ChunkSize(ReadOnlySpan<byte> line)
    {
        // The size in hex, perhaps followed by extensions (;name=value), which mean nothing here.
        var extensions = line.IndexOf((byte)';');
        var hex = (extensions >= 0 ? line[..extensions] : line).Trim(" \t"u8);
        return hex.Length > 0 && Utf8Parser.TryParse(hex, out long size, out var consumed, 'x') && consumed == hex.Length && size >= 0
            ? size
            : throw Invalid("A chunk size is not a hex number.");
    }

    /// <summary>The next line without its CRLF, as a place in the receive buffer (valid until the next read).</summary>
    private async ValueTask<(int Offset, int Length)> ReadLineAsync(CancellationToken token)
    {
        int end;
        while ((end = _receive.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0)
        {
            if (!await FillAsync(MaxHeaderBytes, token))
            {
                throw Ended();
            }
        }

        var line = (_start, end);
        _start += end + 2;
        return line;
    }

    /// <summary>Reads more of the answer; false when the server closed the connection.</summary>
    private async ValueTask<bool> FillAsync(int limit, CancellationToken token)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _receive.Length && _start > 0)
        {
            _receive.AsSpan(_start, _end - _start).CopyTo(_receive);
            _end -= _start;
            _start = 0;
        }

        if (_end == _receive.Length)
        {
            // A header block or a line longer than the buffer.
            if (_receive.Length >= limit)
            {
                throw Invalid($"The answer's headers exceed {limit} bytes.");
            }

            Array.Resize(ref _receive, _receive.Length * 2);
        }

        var read = await _socket.ReceiveAsync(_receive.AsMemory(_end), SocketFlags.None, token);
        _end += read;
        _receivedAny |= read > 0;
        return read > 0;
    }

    private static TransportException Ended() =>
        new(nameof(HttpRequestError.ResponseEnded), "The server closed the connection before the answer was complete.");

    internal static TransportException Invalid(string message) => new(nameof(HttpRequestError.InvalidResponse), message);

    public void Dispose()
    {
        _socket.Dispose();
        _deadline?.Dispose();
    }
}
