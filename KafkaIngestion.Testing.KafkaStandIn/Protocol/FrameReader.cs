using System.Buffers.Binary;

namespace KafkaIngestion.Testing.KafkaStandIn.Protocol;

/// <summary>Reads int32 size-prefixed Kafka frames from a stream.</summary>
internal static class FrameReader
{
    /// <summary>Kafka's default socket.request.max.bytes; a larger size means a broken stream.</summary>
    public const int MaxFrameSize = 100 * 1024 * 1024;

    /// <returns>The frame with its size prefix, or null when the stream ended cleanly between frames.</returns>
    public static async Task<byte[]?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var prefix = new byte[4];
        var read = await stream.ReadAtLeastAsync(prefix, 4, throwOnEndOfStream: false, cancellationToken);
        if (read == 0)
        {
            return null;
        }

        if (read < 4)
        {
            throw new EndOfStreamException("The connection closed inside a frame's size.");
        }

        var size = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if (size is < 0 or > MaxFrameSize)
        {
            throw new InvalidDataException($"Frame size {size} is outside 0..{MaxFrameSize}.");
        }

        var frame = new byte[size + 4];
        prefix.CopyTo(frame, 0);
        await stream.ReadExactlyAsync(frame.AsMemory(4), cancellationToken);
        return frame;
    }
}
