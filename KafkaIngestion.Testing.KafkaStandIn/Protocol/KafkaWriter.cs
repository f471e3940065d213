using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace KafkaIngestion.Testing.KafkaStandIn.Protocol;

/// <summary>Writes a Kafka frame: primitives after a 4-byte size prefix that <see cref="ToFrame"/> fills in.</summary>
internal sealed class KafkaWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    public KafkaWriter() => _buffer.Advance(4);

    public void WriteBytes(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

    public void WriteInt8(sbyte value) => WriteBytes([(byte)value]);

    public void WriteBoolean(bool value) => WriteBytes([value ? (byte)1 : (byte)0]);

    public void WriteInt16(short value) => BinaryPrimitives.WriteInt16BigEndian(Reserve(2), value);

    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32BigEndian(Reserve(4), value);

    public void WriteUnsignedVarInt(uint value)
    {
        while (value >= 0x80)
        {
            WriteBytes([(byte)(value | 0x80)]);
            value >>= 7;
        }

        WriteBytes([(byte)value]);
    }

    public void WriteString(string? value, bool compact)
    {
        var bytes = value is null ? null : Encoding.UTF8.GetBytes(value);
        if (compact)
        {
            WriteUnsignedVarInt(bytes is null ? 0 : (uint)bytes.Length + 1);
        }
        else
        {
            WriteInt16(bytes is null ? (short)-1 : checked((short)bytes.Length));
        }

        if (bytes is not null)
        {
            WriteBytes(bytes);
        }
    }

    public void WriteArrayLength(int count, bool compact)
    {
        if (compact)
        {
            WriteUnsignedVarInt((uint)(count + 1));
        }
        else
        {
            WriteInt32(count);
        }
    }

    /// <summary>The whole frame, size prefix included.</summary>
    public byte[] ToFrame()
    {
        var frame = _buffer.WrittenSpan.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length - 4);
        return frame;
    }

    private Span<byte> Reserve(int length)
    {
        var span = _buffer.GetSpan(length)[..length];
        _buffer.Advance(length);
        return span;
    }
}
