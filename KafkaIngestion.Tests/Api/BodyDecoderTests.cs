using System.IO.Compression;
using System.Text;
using KafkaIngestion.Api.Input;
using KafkaIngestion.Http;

namespace KafkaIngestion.Tests.Api;

public sealed class BodyDecoderTests
{
    private const int Limit = 1024 * 1024;

    public static TheoryData<ContentCoding> Codings => [ContentCoding.Gzip, ContentCoding.Deflate, ContentCoding.Brotli, ContentCoding.Zstd];

    private static readonly byte[] Batch = Encoding.UTF8.GetBytes(
        "[" + string.Join(",", Enumerable.Range(0, 2_000).Select(i => $$$"""{"specversion":"1.0","source":"urn:t","type":"t","data":{"n":{{{i}}}}}""")) + "]");

    [Theory]
    [MemberData(nameof(Codings))]
    public void AWholeStreamDecodesToTheBodyItWasMadeFrom(ContentCoding coding)
    {
        using var body = Decode(coding.Compress(Batch, CompressionLevel.Optimal), coding);

        Assert.Equal(BodyStatus.Read, body.Status);
        Assert.True(body.Span.SequenceEqual(Batch));
    }

    [Theory]
    [MemberData(nameof(Codings))]
    public void ATruncatedStreamIsUndecodableWhereverItWasCut(ContentCoding coding)
    {
        var whole = coding.Compress(Batch, CompressionLevel.Optimal);

        foreach (var cut in new[] { 1, 2, whole.Length / 3, whole.Length / 2, whole.Length - 4, whole.Length - 1 })
        {
            using var body = Decode(whole[..cut], coding);
            Assert.True(body.Status == BodyStatus.Undecodable, $"{coding} cut to {cut} of {whole.Length} bytes: {body.Status}");
            Assert.Contains(coding.Name(), body.Problem, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Codings))]
    public void BytesThatAreNoStreamOfTheCodingAreUndecodable(ContentCoding coding)
    {
        using var body = Decode(Batch, coding); // plain JSON sent as if compressed

        Assert.Equal(BodyStatus.Undecodable, body.Status);
    }

    [Theory]
    [InlineData(ContentCoding.Gzip)]
    [InlineData(ContentCoding.Deflate)]
    public void AStreamWithAlteredBytesFailsItsChecksum(ContentCoding coding)
    {
        var altered = coding.Compress(Batch, CompressionLevel.Optimal);
        altered[altered.Length / 2] ^= 0x01;

        using var body = Decode(altered, coding);

        Assert.Equal(BodyStatus.Undecodable, body.Status);
    }

    [Fact]
    public void RawDeflateIsNotTheDeflateCodingAndTheAnswerSaysSo()
    {
        using var raw = new MemoryStream();
        using (var deflate = new DeflateStream(raw, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(Batch);
        }

        using var body = Decode(raw.ToArray(), ContentCoding.Deflate);

        Assert.Equal(BodyStatus.Undecodable, body.Status);
        Assert.Contains("zlib", body.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Codings))]
    public void ABombStopsAtTheLimitHavingReadLittleOfItsInput(ContentCoding coding)
    {
        // 256 MiB of zeros: a few hundred KB (gzip) down to a few KB (zstd) on the wire.
        var bomb = Zeros(coding, 256);
        var source = new CountingStream(bomb);
        long largestBuffer = 0;

        using var body = BodyDecoder.Decode(source, coding, Limit, 4096, bytes =>
        {
            largestBuffer = Math.Max(largestBuffer, bytes);
            return true;
        });

        // No buffer past the limit was asked for (one byte more is read to tell it is over).
        Assert.Equal(BodyStatus.TooLarge, body.Status);
        Assert.Equal(Limit, largestBuffer);
        // Inflating to the limit needs a 256th of the input. Decoders read ahead in blocks of up
        // to 128 KiB, which is all of a brotli or zstd bomb this size (48 KB, 8 KB) but a small
        // part of a gzip or zlib one (260 KB).
        Assert.True(source.BytesRead <= bomb.Length / 64 + 160 * 1024, $"read {source.BytesRead} of {bomb.Length} compressed bytes");
    }

    [Theory]
    [MemberData(nameof(Codings))]
    public void ABodyExactlyAtTheLimitIsTakenAndOneByteMoreIsNot(ContentCoding coding)
    {
        var atLimit = new byte[Limit];
        Random.Shared.NextBytes(atLimit.AsSpan(0, 1000));

        using var taken = Decode(coding.Compress(atLimit, CompressionLevel.Fastest), coding);
        using var refused = Decode(coding.Compress(new byte[Limit + 1], CompressionLevel.Fastest), coding);

        Assert.Equal(BodyStatus.Read, taken.Status);
        Assert.Equal(Limit, taken.Length);
        Assert.Equal(BodyStatus.TooLarge, refused.Status);
    }

    [Fact]
    public void WhenTheAdmissionCannotGrowAtOnceNothingIsKeptAndTheRoomNeededIsSaid()
    {
        var compressed = ContentCoding.Gzip.Compress(Batch, CompressionLevel.Optimal);

        using var body = BodyDecoder.Decode(new MemoryStream(compressed), ContentCoding.Gzip, Limit, 8192, bytes => bytes <= 16_384);

        Assert.Equal(BodyStatus.NeedsRoom, body.Status);
        Assert.Equal(32_768, body.RoomNeeded);
        Assert.Equal(0, body.Length);
    }

    [Fact]
    public void AZstdFrameAskingForAWindowOverEightMegabytesIsRefused()
    {
        using var output = new MemoryStream();
        using (var zstd = new ZstdSharp.CompressionStream(output, 3, leaveOpen: true))
        {
            // Streamed with no size stated: the frame declares the whole 16 MiB window.
            zstd.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_windowLog, 24);
            zstd.Write(Batch);
        }

        using var body = Decode(output.ToArray(), ContentCoding.Zstd);

        Assert.Equal(BodyStatus.Undecodable, body.Status);
    }

    [Fact]
    public void TheTestProcessLikeTheApiRefusesTruncatedGzip() => Assert.True(BodyDecoder.DetectsTruncation());

    private static RequestBody Decode(byte[] compressed, ContentCoding coding) =>
        BodyDecoder.Decode(new MemoryStream(compressed), coding, Limit, 4096, static _ => true);

    /// <summary><paramref name="mebibytes"/> MiB of zeros, compressed as a client's streaming encoder would.</summary>
    internal static byte[] Zeros(ContentCoding coding, int mebibytes)
    {
        var chunk = new byte[1024 * 1024];
        using var output = new MemoryStream();
        using (Stream encoder = coding switch
        {
            ContentCoding.Gzip => new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true),
            ContentCoding.Deflate => new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true),
            ContentCoding.Brotli => new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true),
            _ => new ZstdSharp.CompressionStream(output, 1, leaveOpen: true),
        })
        {
            for (var i = 0; i < mebibytes; i++)
            {
                encoder.Write(chunk);
            }
        }

        return output.ToArray();
    }

    private sealed class CountingStream(byte[] data) : MemoryStream(data, writable: false)
    {
        public long BytesRead { get; private set; }

        public override int Read(byte[] buffer, int offset, int count) => Count(base.Read(buffer, offset, count));

        public override int Read(Span<byte> buffer) => Count(base.Read(buffer));

        public override int ReadByte()
        {
            var b = base.ReadByte();
            BytesRead += b >= 0 ? 1 : 0;
            return b;
        }

        private int Count(int read)
        {
            BytesRead += read;
            return read;
        }
    }
}
