using System.Buffers;
using KafkaIngestion.Http;

namespace KafkaIngestion.Api.Input;

/// <summary>What became of reading a request's body.</summary>
internal enum BodyStatus
{
    Read,
    /// <summary>Longer than the limit, on the wire or once decoded; nothing was kept.</summary>
    TooLarge,
    /// <summary>Not a whole, valid stream of its content coding (<see cref="RequestBody.Problem"/> says why).</summary>
    Undecodable,
    /// <summary>Decoding must wait for the request's admission to grow (only between <see cref="BodyDecoder"/> and its caller).</summary>
    NeedsRoom,
    /// <summary>The in-flight budget had no room for the decoded body in time.</summary>
    NoRoom,
}

/// <summary>
/// A request body read whole into a pooled buffer, never more than the limit, and decoded when
/// it came compressed. Events are parsed from it in place; the buffer goes back to the pool on
/// dispose.
/// </summary>
internal sealed class RequestBody : IDisposable
{
    private byte[]? _buffer;

    private RequestBody(byte[]? buffer, int length, BodyStatus status, string? problem = null, long roomNeeded = 0)
    {
        _buffer = buffer;
        Length = length;
        Status = status;
        Problem = problem;
        RoomNeeded = roomNeeded;
    }

    public int Length { get; }

    public BodyStatus Status { get; }

    /// <summary>Why an <see cref="BodyStatus.Undecodable"/> body could not be decoded.</summary>
    public string? Problem { get; }

    /// <summary>For <see cref="BodyStatus.NeedsRoom"/>: the decoded bytes the admission must cover.</summary>
    public long RoomNeeded { get; }

    /// <summary>The body was longer than the limit; nothing was kept.</summary>
    public bool TooLarge => Status == BodyStatus.TooLarge;

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    internal static RequestBody Of(byte[] pooledBuffer, int length) => new(pooledBuffer, length, BodyStatus.Read);

    internal static RequestBody Refused(BodyStatus status, string? problem = null) => new(null, 0, status, problem);

    internal static RequestBody MoreRoom(long bytes) => new(null, 0, BodyStatus.NeedsRoom, roomNeeded: bytes);

    /// <summary>
    /// Reads a compressed body off the wire (within the same limit), then decodes it within the
    /// limit, growing the request's in-flight admission to the decoded size as it goes.
    /// </summary>
    public static async Task<RequestBody> ReadEncodedAsync(
        HttpRequest request, ContentCoding coding, int maxBytes, InFlightBudget.Admission admission, CancellationToken cancellationToken)
    {
        var wire = await ReadAsync(request, maxBytes, cancellationToken);
        if (wire.Status != BodyStatus.Read)
        {
            return wire;
        }

        using (wire)
        {
            if (wire.Length == 0)
            {
                return Refused(BodyStatus.Undecodable, BodyDecoder.EmptyProblem(coding));
            }

            // The wire bytes stay held while they are decoded: the admission covers both.
            var ratios = CompressionRatios.Shared;
            var expected = ratios.ExpectedBytes(coding, wire.Length);
            while (true)
            {
                if (!await admission.CoverAsync(expected, cancellationToken))
                {
                    return Refused(BodyStatus.NoRoom);
                }

                var decoded = BodyDecoder.Decode(new MemoryStream(wire._buffer!, 0, wire.Length, writable: false), coding, maxBytes,
                    expected - wire.Length, bytes => admission.TryCover(wire.Length + bytes));
                if (decoded.Status == BodyStatus.Read)
                {
                    ratios.Observe(coding, wire.Length, decoded.Length);
                }

                if (decoded.Status != BodyStatus.NeedsRoom)
                {
                    return decoded;
                }

                expected = wire.Length + decoded.RoomNeeded;
            }
        }
    }

    /// <summary>Reads the body as it came, into a pooled buffer sized by its Content-Length.</summary>
    public static async Task<RequestBody> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return Refused(BodyStatus.TooLarge);
        }

        // Content-Length, when given, sizes the buffer exactly; chunked bodies grow it.
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(request.ContentLength ?? 16 * 1024, 1, maxBytes + 1L));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > maxBytes)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        return Refused(BodyStatus.TooLarge);
                    }

                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(buffer.Length * 2L, maxBytes + 1L));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        if (length > maxBytes)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return Refused(BodyStatus.TooLarge);
        }

        return Of(buffer, length);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
