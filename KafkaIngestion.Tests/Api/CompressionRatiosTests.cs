using KafkaIngestion.Api.Input;
using KafkaIngestion.Http;

namespace KafkaIngestion.Tests.Api;

public sealed class CompressionRatiosTests
{
    [Fact]
    public void TheEstimateMovesTowardWhatBodiesOfThatCodingDecodeTo()
    {
        var ratios = new CompressionRatios();
        Assert.Equal(5_000, ratios.ExpectedBytes(ContentCoding.Gzip, 1_000)); // itself and four times as much

        for (var i = 0; i < 50; i++)
        {
            ratios.Observe(ContentCoding.Gzip, 1_000, 26_000);
        }

        Assert.InRange(ratios.Ratio(ContentCoding.Gzip), 25.5, 26);
        Assert.Equal(CompressionRatios.Initial, ratios.Ratio(ContentCoding.Zstd)); // each coding its own
    }

    [Fact]
    public void OneOutlierMovesItAnEighthAndNoEstimateGoesPastTheMostOrBelowOne()
    {
        var ratios = new CompressionRatios();

        ratios.Observe(ContentCoding.Brotli, 100, 1_000_000_000);
        Assert.Equal(CompressionRatios.Initial + (CompressionRatios.Max - CompressionRatios.Initial) / 8, ratios.Ratio(ContentCoding.Brotli));

        for (var i = 0; i < 100; i++)
        {
            ratios.Observe(ContentCoding.Deflate, 1_000, 10); // "compressed" larger than it decodes to
        }

        Assert.InRange(ratios.Ratio(ContentCoding.Deflate), 1, 1.01);
        Assert.InRange(ratios.ExpectedBytes(ContentCoding.Deflate, 1_000), 2_000, 2_010);
    }
}
