using KafkaIngestion.Testing.KafkaStandIn.Protocol;

namespace KafkaIngestion.Tests.KafkaStandIn;

/// <summary>The stand-in's pure protocol pieces, on frames built here field by field.</summary>
public sealed class KafkaStandInProtocolTests
{
    private static readonly Dictionary<short, short> Caps = new() { [ApiKeys.Metadata] = 12, [ApiKeys.FindCoordinator] = 3 };
    private static readonly string[] TwoTopics = ["a", "b"];
    private static readonly ApiVersionRange[] Served = [new(ApiKeys.CreateTopics, 0, 4)];

    private static byte[] Frame(Action<KafkaWriter> write)
    {
        var writer = new KafkaWriter();
        write(writer);
        return writer.ToFrame();
    }

    [Fact]
    public async Task Frames_are_read_whole_and_a_clean_end_is_null()
    {
        var first = Frame(w => w.WriteInt32(7));
        var second = Frame(w => w.WriteString("abc", compact: false));
        using var stream = new MemoryStream([.. first, .. second]);

        Assert.Equal(first, await FrameReader.ReadAsync(stream, CancellationToken.None));
        Assert.Equal(second, await FrameReader.ReadAsync(stream, CancellationToken.None));
        Assert.Null(await FrameReader.ReadAsync(stream, CancellationToken.None));
    }

    [Fact]
    public async Task Truncated_or_oversized_frames_are_refused()
    {
        using var truncated = new MemoryStream([0, 0, 0, 9, 1, 2]);
        await Assert.ThrowsAnyAsync<EndOfStreamException>(() => FrameReader.ReadAsync(truncated, CancellationToken.None));
        using var oversized = new MemoryStream([0x7F, 0, 0, 0]);
        await Assert.ThrowsAsync<InvalidDataException>(() => FrameReader.ReadAsync(oversized, CancellationToken.None));
    }

    [Fact]
    public void Request_headers_are_parsed_with_and_without_tagged_fields()
    {
        var plain = Frame(w => { w.WriteInt16(ApiKeys.Metadata); w.WriteInt16(8); w.WriteInt32(42); w.WriteString("client", compact: false); w.WriteInt32(-1); });
        var flexible = Frame(w =>
        {
            w.WriteInt16(ApiKeys.Metadata); w.WriteInt16(9); w.WriteInt32(43); w.WriteString(null, compact: false);
            w.WriteUnsignedVarInt(1); w.WriteUnsignedVarInt(0); w.WriteUnsignedVarInt(2); w.WriteBytes([9, 9]); // one tagged field
            w.WriteUnsignedVarInt(0);
        });

        Assert.Equal(new RequestHeader(ApiKeys.Metadata, 8, 42, "client", 16), RequestHeader.Parse(plain.AsSpan(4)));
        var header = RequestHeader.Parse(flexible.AsSpan(4));
        Assert.Equal((43, (string?)null, 15), (header.CorrelationId, header.ClientId, header.BodyOffset));
    }

    [Theory]
    [InlineData((short)0)]
    [InlineData((short)2)]
    [InlineData((short)3)]
    public void ApiVersions_caps_rewritten_apis_and_adds_CreateTopics(short version)
    {
        var flexible = version >= 3;
        var response = Frame(w =>
        {
            w.WriteInt32(5);
            w.WriteInt16(0);
            w.WriteArrayLength(4, flexible);
            foreach (var (key, min, max) in new (short, short, short)[] { (0, 0, 10), (3, 0, 13), (10, 0, 4), (18, 0, 3) })
            {
                w.WriteInt16(key); w.WriteInt16(min); w.WriteInt16(max);
                if (flexible) { w.WriteUnsignedVarInt(0); }
            }

            if (version >= 1) { w.WriteInt32(0); }
            if (flexible) { w.WriteUnsignedVarInt(0); }
        });

        var rewritten = Assert.IsType<byte[]>(ApiVersionsRewriter.Rewrite(response.AsSpan(4), version, Caps, Served));

        var reader = new KafkaReader(rewritten.AsSpan(4));
        Assert.Equal(5, reader.ReadInt32());
        Assert.Equal(0, reader.ReadInt16());
        var ranges = new List<ApiVersionRange>();
        for (int i = 0, count = reader.ReadArrayLength(flexible); i < count; i++)
        {
            ranges.Add(new(reader.ReadInt16(), reader.ReadInt16(), reader.ReadInt16()));
            if (flexible) { reader.SkipTaggedFields(); }
        }

        Assert.Equal([new(0, 0, 10), new(3, 0, 12), new(10, 0, 3), new(18, 0, 3), new(19, 0, 4)], ranges);
        Assert.Equal((version >= 1 ? 4 : 0) + (flexible ? 1 : 0), reader.Remaining);
    }

    [Fact]
    public void An_ApiVersions_error_passes_through_so_the_client_retries_with_v0()
    {
        var unsupported = Frame(w => { w.WriteInt32(1); w.WriteInt16(35); w.WriteInt32(0); });

        Assert.Null(ApiVersionsRewriter.Rewrite(unsupported.AsSpan(4), 3, Caps, Served));
    }

    [Theory]
    [InlineData((short)0)]
    [InlineData((short)1)]
    [InlineData((short)8)]
    [InlineData((short)9)]
    [InlineData((short)12)]
    public void Metadata_names_the_advertised_address_and_keeps_the_rest(short version)
    {
        var flexible = version >= 9;
        byte[] tail = [0, 0, 0, 1, 0xAB, 0xCD]; // stands for cluster id, controller and topics: copied as is
        var response = Frame(w =>
        {
            w.WriteInt32(77);
            if (flexible) { w.WriteUnsignedVarInt(0); }
            if (version >= 3) { w.WriteInt32(11); }
            w.WriteArrayLength(1, flexible);
            w.WriteInt32(1); w.WriteString("127.0.0.1", flexible); w.WriteInt32(40000);
            if (version >= 1) { w.WriteString("rack-a", flexible); }
            if (flexible) { w.WriteUnsignedVarInt(0); }
            w.WriteBytes(tail);
        });

        var rewritten = BrokerAddressRewriter.RewriteMetadata(response.AsSpan(4), version, "kafka.example", 9093);

        var reader = new KafkaReader(rewritten.AsSpan(4));
        Assert.Equal(77, reader.ReadInt32());
        if (flexible) { reader.SkipTaggedFields(); }
        if (version >= 3) { Assert.Equal(11, reader.ReadInt32()); }
        Assert.Equal(1, reader.ReadArrayLength(flexible));
        Assert.Equal((1, "kafka.example", 9093), (reader.ReadInt32(), reader.ReadString(flexible), reader.ReadInt32()));
        if (version >= 1) { Assert.Equal("rack-a", reader.ReadString(flexible)); }
        if (flexible) { reader.SkipTaggedFields(); }
        Assert.Equal(tail, reader.Take(reader.Remaining).ToArray());
    }

    [Theory]
    [InlineData((short)0, 1, "kafka.example", 9093)]
    [InlineData((short)2, 1, "kafka.example", 9093)]
    [InlineData((short)3, 1, "kafka.example", 9093)]
    [InlineData((short)2, -1, "", -1)]
    public void FindCoordinator_names_the_advertised_address_unless_there_is_no_coordinator(short version, int nodeId, string host, int port)
    {
        var flexible = version >= 3;
        var response = Frame(w =>
        {
            w.WriteInt32(9);
            if (flexible) { w.WriteUnsignedVarInt(0); }
            if (version >= 1) { w.WriteInt32(0); }
            w.WriteInt16(nodeId < 0 ? (short)15 : (short)0);
            if (version >= 1) { w.WriteString(null, flexible); }
            w.WriteInt32(nodeId); w.WriteString(nodeId < 0 ? "" : "127.0.0.1", flexible); w.WriteInt32(nodeId < 0 ? -1 : 40000);
            if (flexible) { w.WriteUnsignedVarInt(0); }
        });

        var rewritten = BrokerAddressRewriter.RewriteFindCoordinator(response.AsSpan(4), version, "kafka.example", 9093);

        var reader = new KafkaReader(rewritten.AsSpan(4));
        _ = reader.ReadInt32();
        if (flexible) { reader.SkipTaggedFields(); }
        if (version >= 1) { _ = reader.ReadInt32(); }
        _ = reader.ReadInt16();
        if (version >= 1) { _ = reader.ReadString(flexible); }
        Assert.Equal((nodeId, host, port), (reader.ReadInt32(), reader.ReadString(flexible), reader.ReadInt32()));
        Assert.Equal(flexible ? 1 : 0, reader.Remaining);
    }

    [Theory]
    [InlineData((short)2, (short)1, true)]
    [InlineData((short)2, (short)0, false)]
    [InlineData((short)3, (short)-1, true)]
    [InlineData((short)3, (short)0, false)]
    [InlineData((short)9, (short)0, false)]
    [InlineData((short)9, (short)-1, true)]
    public void Produce_with_acks_0_expects_no_answer(short version, short acks, bool expected)
    {
        var flexible = version >= 9;
        var request = Frame(w =>
        {
            w.WriteInt16(ApiKeys.Produce); w.WriteInt16(version); w.WriteInt32(1); w.WriteString("c", compact: false);
            if (flexible) { w.WriteUnsignedVarInt(0); }
            if (version >= 3) { w.WriteString("txn", flexible); }
            w.WriteInt16(acks);
        });

        var payload = request.AsSpan(4);
        Assert.Equal(expected, RequestBodies.ExpectsResponse(RequestHeader.Parse(payload), payload));
    }

    [Theory]
    [InlineData((short)1, true, new[] { "a", "b" })]
    [InlineData((short)4, false, null)]
    [InlineData((short)4, true, new[] { "a", "b" })]
    [InlineData((short)9, true, new[] { "a", "b" })]
    [InlineData((short)12, true, new[] { "a", "b" })]
    public void Metadata_requests_name_the_topics_they_may_create(short version, bool allow, string[]? expected)
    {
        var flexible = version >= 9;
        var request = Frame(w =>
        {
            w.WriteInt16(ApiKeys.Metadata); w.WriteInt16(version); w.WriteInt32(1); w.WriteString("c", compact: false);
            if (flexible) { w.WriteUnsignedVarInt(0); }
            w.WriteArrayLength(2, flexible);
            foreach (var name in TwoTopics)
            {
                if (version >= 10) { w.WriteBytes(new byte[16]); }
                w.WriteString(name, flexible);
                if (flexible) { w.WriteUnsignedVarInt(0); }
            }

            if (version >= 4) { w.WriteBoolean(allow); }
            if (version >= 8) { w.WriteBoolean(false); }
            if (version is >= 8 and <= 10) { w.WriteBoolean(false); }
            if (flexible) { w.WriteUnsignedVarInt(0); }
        });

        var payload = request.AsSpan(4);
        Assert.Equal(expected, RequestBodies.TopicsToAutoCreate(RequestHeader.Parse(payload), payload));
    }

    [Fact]
    public void A_Metadata_request_for_all_topics_creates_none()
    {
        var request = Frame(w => { w.WriteInt16(ApiKeys.Metadata); w.WriteInt16(4); w.WriteInt32(1); w.WriteString("c", compact: false); w.WriteInt32(-1); w.WriteBoolean(true); });

        var payload = request.AsSpan(4);
        Assert.Null(RequestBodies.TopicsToAutoCreate(RequestHeader.Parse(payload), payload));
    }
}
