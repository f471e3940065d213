using System.IO.Compression;

namespace KafkaIngestion.Http;

/// <summary>
/// The HTTP content codings (RFC 9110 §8.4.1) request bodies may carry: what the API decodes and
/// what the load generator, the benchmarks and the tests encode with.
/// </summary>
public enum ContentCoding
{
    Identity,
    Gzip,
    /// <summary>The zlib format (RFC 1950), as RFC 9110 §8.4.1.2 defines "deflate"; not a raw deflate stream.</summary>
    Deflate,
    Brotli,
    Zstd,
}

/// <summary>The codings' names on the wire, and compressing a body with one.</summary>
public static class ContentCodings
{
    /// <summary>Every coding taken, by its name in <c>Content-Encoding</c>; "identity" (no coding) last.</summary>
    public static IReadOnlyList<string> Names { get; } = ["gzip", "br", "zstd", "deflate", "identity"];

    /// <summary>
    /// Largest zstd window a body may need. RFC 9659 limits the "zstd" content coding to 8 MB so
    /// that a decoder's memory stays bounded; a decoder may refuse frames that ask for more.
    /// </summary>
    public const int ZstdWindowLogMax = 23;

    public static string Name(this ContentCoding coding) => coding switch
    {
        ContentCoding.Gzip => "gzip",
        ContentCoding.Deflate => "deflate",
        ContentCoding.Brotli => "br",
        ContentCoding.Zstd => "zstd",
        _ => "identity",
    };

    /// <summary>One coding's name, case-insensitive; "x-gzip" is gzip (RFC 9110 §8.4.1.3).</summary>
    public static bool TryParse(ReadOnlySpan<char> name, out ContentCoding coding)
    {
        foreach (var (candidate, value) in Parsed)
        {
            if (name.Equals(candidate, StringComparison.OrdinalIgnoreCase))
            {
                coding = value;
                return true;
            }
        }

        coding = ContentCoding.Identity;
        return false;
    }

    /// <summary><paramref name="body"/> encoded with <paramref name="coding"/>, as one whole stream (a zstd frame states its size).</summary>
    public static byte[] Compress(this ContentCoding coding, ReadOnlySpan<byte> body, CompressionLevel level)
    {
        switch (coding)
        {
            case ContentCoding.Identity:
                return body.ToArray();
            case ContentCoding.Zstd:
                using (var compressor = new ZstdSharp.Compressor(level switch
                {
                    CompressionLevel.Fastest or CompressionLevel.NoCompression => 1,
                    CompressionLevel.SmallestSize => 19,
                    _ => ZstdSharp.Compressor.DefaultCompressionLevel,
                }))
                {
                    compressor.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_windowLog, ZstdWindowLogMax);
                    return compressor.Wrap(body).ToArray();
                }
        }

        using var output = new MemoryStream(body.Length / 4 + 64);
        using (Stream encoder = coding switch
        {
            ContentCoding.Gzip => new GZipStream(output, level, leaveOpen: true),
            ContentCoding.Deflate => new ZLibStream(output, level, leaveOpen: true),
            ContentCoding.Brotli => new BrotliStream(output, level, leaveOpen: true),
            _ => throw new ArgumentOutOfRangeException(nameof(coding), coding, "Not a content coding."),
        })
        {
            encoder.Write(body);
        }

        return output.ToArray();
    }

    private static readonly (string Name, ContentCoding Coding)[] Parsed =
    [
        ("gzip", ContentCoding.Gzip), ("x-gzip", ContentCoding.Gzip), ("br", ContentCoding.Brotli), ("zstd", ContentCoding.Zstd),
        ("deflate", ContentCoding.Deflate), ("identity", ContentCoding.Identity),
    ];
}
