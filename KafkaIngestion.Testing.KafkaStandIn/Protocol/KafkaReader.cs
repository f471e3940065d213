using System.Buffers.Binary;
using System.Text;

namespace KafkaIngestion.Testing.KafkaStandIn.Protocol;

/// <summary>Reads Kafka protocol primitives (big-endian; compact forms for flexible versions).</summary>
internal ref struct KafkaReader
{
    private readonly ReadOnlySpan<byte> _buffer;

    public KafkaReader(ReadOnlySpan<byte> buffer) => _buffer = buffer;

    public int Position { get; private set; }

    public readonly int Remaining => _buffer.Length - Position;

    /// <summary>What was read from <paramref name="start"/> up to here, to copy it unchanged.</summary>
    public readonly ReadOnlySpan<byte> ReadSince(int start) => _buffer[start..Position];

    public ReadOnlySpan<byte> Take(int length)
    {
        if (length < 0 || length > Remaining)
        {
            throw new InvalidDataException($"Kafka message truncated: {length} bytes wanted at {Position}, {Remaining} left.");
        }

        var span = _buffer.Slice(Position, length);
        Position += length;
        return span;
    }

    public sbyte ReadInt8() => (sbyte)Take(1)[0];

    public bool ReadBoolean() => Take(1)[0] != 0;

    public short ReadInt16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public uint ReadUnsignedVarInt()
    {
        uint value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            var b = Take(1)[0];
            value |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new InvalidDataException("Kafka message has a malformed varint.");
    }

    /// <summary>An int16-length string; null when the length is -1.</summary>
    public string? ReadNullableString()
    {
        var length = ReadInt16();
        return length < 0 ? null : Encoding.UTF8.GetString(Take(length));
    }

    public string ReadString() => ReadNullableString() ?? throw new InvalidDataException("Kafka message has a null where a string belongs.");

    /// <summary>A compact (varint length + 1) string; null when the length is 0.</summary>
    public string? ReadCompactNullableString()
    {
        var length = (int)ReadUnsignedVarInt() - 1;
        return length < 0 ? null : Encoding.UTF8.GetString(Take(length));
    }

    public string? ReadString(bool compact) => compact ? ReadCompactNullableString() : ReadNullableString();

    /// <summary>An array length; -1 for a null array.</summary>
    public int ReadArrayLength(bool compact) => compact ? (int)ReadUnsignedVarInt() - 1 : ReadInt32();

    public void SkipTaggedFields()
    {
        var count = ReadUnsignedVarInt();
        for (var i = 0; i < count; i++)
        {
            _ = ReadUnsignedVarInt();
            _ = Take((int)ReadUnsignedVarInt());
        }
    }
}
