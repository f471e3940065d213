using System.Globalization;
using System.IO.Compression;
using System.Text;
using KafkaIngestion.Http;

/// <summary>
/// The request bodies bench/compress.sh sends, written once before it measures: the batch of
/// bench/events_batch.lua and the event of bench/register_event.lua in each content coding (each
/// at its default level, as a client's library would send it), and decompression bombs (1 GiB
/// of zeros) in each.
/// </summary>
internal static class Bodies
{
    public static readonly ContentCoding[] Codings = [ContentCoding.Identity, ContentCoding.Gzip, ContentCoding.Brotli, ContentCoding.Zstd, ContentCoding.Deflate];

    public static int Write(string directory, int batchSize)
    {
        Directory.CreateDirectory(directory);
        // Byte for byte the batch of bench/events_batch.lua.
        var json = new StringBuilder("[");
        for (var i = 1; i <= batchSize; i++)
        {
            json.Append(i > 1 ? "," : "").Append(CultureInfo.InvariantCulture,
                $$$"""{"specversion":"1.0","source":"urn:bench","type":"order.created","partitionkey":"customer-{{{i % 1000}}}","data":{"orderId":{{{i}}},"amount":25.5,"currency":"EUR"}}""");
        }

        var batch = Encoding.UTF8.GetBytes(json.Append(']').ToString());
        // Byte for byte the event of bench/register_event.lua.
        var single = """{"type":"order.created","key":"customer-42","data":{"orderId":1001,"amount":25.5,"currency":"EUR"}}"""u8.ToArray();
        foreach (var coding in Codings)
        {
            var body = coding.Compress(batch, CompressionLevel.Optimal);
            File.WriteAllBytes(Path.Combine(directory, $"batch.{coding.Name()}"), body);
            var one = coding.Compress(single, CompressionLevel.Optimal);
            File.WriteAllBytes(Path.Combine(directory, $"single.{coding.Name()}"), one);
            Console.WriteLine($"BODY {coding.Name()} batch {body.Length} single {one.Length}");
        }

        var zeros = new byte[1024 * 1024];
        foreach (var coding in Codings.Skip(1))
        {
            var path = Path.Combine(directory, $"bomb.{coding.Name()}");
            using (var file = File.Create(path))
            using (var encoder = Encoder(coding, file))
            {
                for (var i = 0; i < 1024; i++)
                {
                    encoder.Write(zeros);
                }
            }

            Console.WriteLine($"BOMB {coding.Name()} {new FileInfo(path).Length}");
        }

        return 0;
    }

    // Streaming, as a client compressing a large upload would: the bomb is never whole in memory.
    private static Stream Encoder(ContentCoding coding, Stream output) => coding switch
    {
        ContentCoding.Gzip => new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true),
        ContentCoding.Deflate => new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true),
        ContentCoding.Brotli => new BrotliStream(output, CompressionLevel.Optimal, leaveOpen: true),
        _ => new ZstdSharp.CompressionStream(output, ZstdSharp.Compressor.DefaultCompressionLevel, leaveOpen: true),
    };
}
