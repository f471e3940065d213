using System.Buffers;
using System.IO.Compression;
using KafkaIngestion.Http;

namespace KafkaIngestion.Api.Input;

/// <summary>
/// Decodes a compressed body already read from the wire, into a pooled buffer that never holds
/// more than the limit: a body that inflates past the limit stops one byte past it, whatever the
/// rest would have inflated to. Synchronous, from memory: a decoder and its window are held
/// only while its thread decodes, never while a client trickles bytes in.
/// </summary>
internal static class BodyDecoder
{
    private const int MinBuffer = 4 * 1024;

    /// <summary>
    /// Decodes <paramref name="compressed"/> (a whole body, in memory). Before the buffer grows, <paramref name="tryCover"/> is asked
    /// whether the request's in-flight admission covers the new size; when it cannot without
    /// waiting, the result is <see cref="BodyStatus.NeedsRoom"/>, nothing is kept, and the
    /// caller decodes again once it has queued for <see cref="RequestBody.RoomNeeded"/>.
    /// </summary>
    /// <param name="startBytes">The buffer's first size: the expected decoded size.</param>
    public static RequestBody Decode(Stream compressed, ContentCoding coding, int maxBytes, long startBytes, Func<long, bool> tryCover)
    {
        var capacity = (int)Math.Clamp(startBytes, Math.Min(MinBuffer, maxBytes), maxBytes);
        if (!tryCover(capacity))
        {
            return RequestBody.MoreRoom(capacity);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(capacity);
        var length = 0;
        try
        {
            using var decoder = Open(coding, compressed);
            while (true)
            {
                if (length == capacity)
                {
                    if (capacity == maxBytes)
                    {
                        // Full at the limit: one byte more means over it. (Not a buffer of the limit
                        // and a byte: the pool would hand out one of twice the size.)
                        Span<byte> probe = stackalloc byte[1];
                        if (decoder.Read(probe) == 0)
                        {
                            return RequestBody.Of(buffer, length);
                        }

                        ArrayPool<byte>.Shared.Return(buffer);
                        return RequestBody.Refused(BodyStatus.TooLarge);
                    }

                    var larger = (int)Math.Min(capacity * 2L, maxBytes);
                    if (!tryCover(larger))
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        return RequestBody.MoreRoom(larger);
                    }

                    var grown = ArrayPool<byte>.Shared.Rent(larger);
                    buffer.AsSpan(0, length).CopyTo(grown);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = grown;
                    capacity = larger;
                }

                var read = decoder.Read(buffer.AsSpan(length, capacity - length));
                if (read == 0)
                {
                    return RequestBody.Of(buffer, length);
                }

                length += read;
            }
        }
        catch (Exception ex) when (IsCorrupt(ex))
        {
            ArrayPool<byte>.Shared.Return(buffer);
            var zlib = coding == ContentCoding.Deflate ? " (deflate is the zlib format, RFC 1950, not a raw deflate stream)" : "";
            return RequestBody.Refused(BodyStatus.Undecodable, $"The body is not a whole, valid {coding.Name()} stream{zlib}: {ex.Message}");
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>Why an empty body with a Content-Encoding is refused: it is no stream of any coding.</summary>
    public static string EmptyProblem(ContentCoding coding) => $"An empty body is not a {coding.Name()} stream; send it without Content-Encoding.";

    private static Stream Open(ContentCoding coding, Stream source)
    {
        switch (coding)
        {
            case ContentCoding.Gzip:
                return new GZipStream(source, CompressionMode.Decompress);
            case ContentCoding.Deflate:
                return new ZLibStream(source, CompressionMode.Decompress);
            case ContentCoding.Brotli:
                return new BrotliStream(source, CompressionMode.Decompress);
            case ContentCoding.Zstd:
                var zstd = new ZstdSharp.DecompressionStream(source, checkEndOfStream: true, leaveOpen: false);
                // A frame may ask for a window of up to 2 GiB; RFC 9659 allows 8 MB for this coding.
                zstd.SetParameter(ZstdSharp.Unsafe.ZSTD_dParameter.ZSTD_d_windowLogMax, ContentCodings.ZstdWindowLogMax);
                return zstd;
            default:
                throw new ArgumentOutOfRangeException(nameof(coding), coding, "Identity bodies are not decoded.");
        }
    }

    /// <summary>
    /// What the decoders throw for data that is not a whole stream of their format. Truncation is
    /// among them only because the API runs with System.IO.Compression.UseStrictValidation (see
    /// <see cref="DetectsTruncation"/>); the source is memory, so nothing else can fail here.
    /// </summary>
    private static bool IsCorrupt(Exception ex) =>
        ex is InvalidDataException or InvalidOperationException or EndOfStreamException or ZstdSharp.ZstdException;

    /// <summary>
    /// Whether a truncated gzip stream is refused. Without the runtime switch
    /// System.IO.Compression.UseStrictValidation (set in the API's project file), .NET's gzip,
    /// zlib and brotli decoders end a cut-off stream quietly, and half a body would be taken
    /// for a whole one.
    /// </summary>
    public static bool DetectsTruncation()
    {
        var whole = ContentCoding.Gzip.Compress("[{\"truncated\":true}]"u8, CompressionLevel.Fastest);
        using var result = Decode(new MemoryStream(whole, 0, whole.Length - 1), ContentCoding.Gzip, 1024, MinBuffer, static _ => true);
        return result.Status == BodyStatus.Undecodable;
    }
}
