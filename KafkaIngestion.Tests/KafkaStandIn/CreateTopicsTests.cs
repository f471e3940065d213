using KafkaIngestion.Testing.KafkaStandIn.Protocol;

namespace KafkaIngestion.Tests.KafkaStandIn;

/// <summary>The stand-in's own CreateTopics: parsing v0–v4, deciding as a one-broker Kafka would, answering.</summary>
public sealed class CreateTopicsTests
{
    private static byte[] Request(short version, bool validateOnly, params (string Name, int Partitions, short ReplicationFactor)[] topics)
    {
        var writer = new KafkaWriter();
        writer.WriteInt16(ApiKeys.CreateTopics); writer.WriteInt16(version); writer.WriteInt32(31); writer.WriteString("admin", compact: false);
        writer.WriteInt32(topics.Length);
        foreach (var (name, partitions, replicationFactor) in topics)
        {
            writer.WriteString(name, compact: false);
            writer.WriteInt32(partitions);
            writer.WriteInt16(replicationFactor);
            writer.WriteInt32(0); // assignments
            writer.WriteInt32(1); // configs
            writer.WriteString("retention.ms", compact: false);
            writer.WriteString(null, compact: false);
        }

        writer.WriteInt32(5000);
        if (version >= 1)
        {
            writer.WriteBoolean(validateOnly);
        }

        return writer.ToFrame();
    }

    private static CreateTopicsRequest Parse(byte[] frame) => CreateTopicsRequest.Parse(RequestHeader.Parse(frame.AsSpan(4)), frame.AsSpan(4));

    [Fact]
    public void A_v4_request_is_parsed()
    {
        var request = Parse(Request(4, validateOnly: true, ("events", 3, -1), ("dlq", -1, 1)));

        Assert.Equal([new NewTopic("events", 3, -1, 0, 1), new NewTopic("dlq", -1, 1, 0, 1)], request.Topics);
        Assert.Equal((5000, true), (request.TimeoutMs, request.ValidateOnly));
        Assert.False(Parse(Request(0, validateOnly: true, ("events", 3, 1))).ValidateOnly);
    }

    [Fact]
    public void Topics_are_created_with_defaults_for_minus_one_and_existing_ones_refused()
    {
        var created = new List<(string, int, int)>();
        short Create(string name, int partitions, int replicationFactor)
        {
            created.Add((name, partitions, replicationFactor));
            return name == "old" ? CreateTopicsHandler.TopicAlreadyExists : (short)0;
        }

        var results = CreateTopicsHandler.Handle(
            Parse(Request(4, validateOnly: false, ("events", 3, -1), ("dlq", -1, 1), ("old", 1, 1))),
            defaultPartitions: 2, Create, _ => false);

        Assert.Equal([("events", 3, 1), ("dlq", 2, 1), ("old", 1, 1)], created);
        Assert.Equal([0, 0, CreateTopicsHandler.TopicAlreadyExists], results.Select(r => r.ErrorCode));
        Assert.Contains("already exists", results[2].ErrorMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bad name", 1, (short)1, CreateTopicsHandler.InvalidTopic)]
    [InlineData("..", 1, (short)1, CreateTopicsHandler.InvalidTopic)]
    [InlineData("t", 0, (short)1, CreateTopicsHandler.InvalidPartitions)]
    [InlineData("t", -2, (short)1, CreateTopicsHandler.InvalidPartitions)]
    [InlineData("t", 1, (short)0, CreateTopicsHandler.InvalidReplicationFactor)]
    [InlineData("t", 1, (short)3, CreateTopicsHandler.InvalidReplicationFactor)]
    public void Invalid_topics_are_refused_as_Kafka_refuses_them(string name, int partitions, short replicationFactor, short expected)
    {
        var result = Assert.Single(CreateTopicsHandler.Handle(
            Parse(Request(4, validateOnly: false, (name, partitions, replicationFactor))),
            defaultPartitions: 1, (_, _, _) => throw new InvalidOperationException("must not create"), _ => false));

        Assert.Equal(expected, result.ErrorCode);
        Assert.False(string.IsNullOrEmpty(result.ErrorMessage));
    }

    [Fact]
    public void Validate_only_creates_nothing_and_reports_existing_topics()
    {
        var results = CreateTopicsHandler.Handle(
            Parse(Request(4, validateOnly: true, ("new", 3, 1), ("old", 3, 1))),
            defaultPartitions: 1, (_, _, _) => throw new InvalidOperationException("must not create"), name => name == "old");

        Assert.Equal([0, CreateTopicsHandler.TopicAlreadyExists], results.Select(r => r.ErrorCode));
    }

    [Theory]
    [InlineData((short)0)]
    [InlineData((short)1)]
    [InlineData((short)4)]
    public void Responses_have_the_layout_of_their_version(short version)
    {
        var frame = CreateTopicsResponse.Write(31, version, [new("events", 0, null), new("old", 36, "exists")]);

        var reader = new KafkaReader(frame.AsSpan(4));
        Assert.Equal(31, reader.ReadInt32());
        if (version >= 2) { Assert.Equal(0, reader.ReadInt32()); }
        Assert.Equal(2, reader.ReadInt32());
        Assert.Equal(("events", (short)0), (reader.ReadString(), reader.ReadInt16()));
        if (version >= 1) { Assert.Null(reader.ReadNullableString()); }
        Assert.Equal(("old", (short)36), (reader.ReadString(), reader.ReadInt16()));
        if (version >= 1) { Assert.Equal("exists", reader.ReadNullableString()); }
        Assert.Equal(0, reader.Remaining);
    }
}
