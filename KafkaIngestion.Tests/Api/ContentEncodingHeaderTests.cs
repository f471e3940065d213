using KafkaIngestion.Api.Input;
using KafkaIngestion.Http;
using Microsoft.Extensions.Primitives;

namespace KafkaIngestion.Tests.Api;

public sealed class ContentEncodingHeaderTests
{
    [Theory]
    [InlineData("gzip", ContentCoding.Gzip)]
    [InlineData("GZip", ContentCoding.Gzip)]
    [InlineData("x-gzip", ContentCoding.Gzip)]
    [InlineData("br", ContentCoding.Brotli)]
    [InlineData("ZSTD", ContentCoding.Zstd)]
    [InlineData("deflate", ContentCoding.Deflate)]
    [InlineData("identity", ContentCoding.Identity)]
    [InlineData("", ContentCoding.Identity)]
    [InlineData(" gzip\t", ContentCoding.Gzip)]
    [InlineData("gzip, identity", ContentCoding.Gzip)]
    [InlineData("identity,br", ContentCoding.Brotli)]
    [InlineData("zstd,,", ContentCoding.Zstd)]
    public void EachCodingIsReadCaseInsensitivelyAndIdentityEntriesChangeNothing(string header, ContentCoding expected)
    {
        Assert.Null(ContentEncodingHeader.Read(new StringValues(header), out var coding));
        Assert.Equal(expected, coding);
    }

    [Fact]
    public void NoHeaderIsIdentity()
    {
        Assert.Null(ContentEncodingHeader.Read(StringValues.Empty, out var coding));
        Assert.Equal(ContentCoding.Identity, coding);
    }

    [Theory]
    [InlineData("compress")]
    [InlineData("gzip;q=1")]
    [InlineData("lz4")]
    public void AnUnknownCodingIsRefusedNamingTheSupportedOnes(string header)
    {
        var problem = ContentEncodingHeader.Read(new StringValues(header), out _);

        Assert.NotNull(problem);
        Assert.Contains($"'{header}'", problem, StringComparison.Ordinal);
        Assert.Contains("gzip, br, zstd, deflate, identity", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void MoreThanOneCodingIsRefusedWhetherInOneListOrOnSeveralLines()
    {
        Assert.Contains("more than one", ContentEncodingHeader.Read(new StringValues("gzip, br"), out _), StringComparison.Ordinal);
        Assert.Contains("more than one", ContentEncodingHeader.Read(new StringValues(["gzip", "gzip"]), out _), StringComparison.Ordinal);
    }

    [Fact]
    public void AHugeHeaderIsNotEchoedWhole()
    {
        var problem = ContentEncodingHeader.Read(new StringValues(new string('x', 10_000)), out _);

        Assert.NotNull(problem);
        Assert.InRange(problem.Length, 1, 400);
    }

    [Fact]
    public void AcceptEncodingListsEveryCodingTaken() =>
        Assert.Equal("gzip, br, zstd, deflate, identity", ContentEncodingHeader.Supported);
}
