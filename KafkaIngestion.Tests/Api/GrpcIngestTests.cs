using Confluent.Kafka;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using KafkaIngestion.Events;
using KafkaIngestion.IngestGrpc;

namespace KafkaIngestion.Tests.Api;

/// <summary>
/// The gRPC service on the API's HTTP/2 endpoint, through Grpc.Net.Client, writing to an
/// embedded broker: what each call answers, and that accepted events are in the topic.
/// </summary>
public sealed class GrpcIngestTests(GrpcIngestTests.ApiFixture fixture) : IClassFixture<GrpcIngestTests.ApiFixture>
{
    private const int MaxRequestBytes = 64 * 1024;
    private const int MaxEventBytes = 8 * 1024;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>One API (and broker) for the class, with small limits to cross.</summary>
    public sealed class ApiFixture : IAsyncLifetime
    {
        public InProcessApi Api { get; private set; } = null!;

        public async Task InitializeAsync() => Api = await InProcessApi.StartAsync(new Dictionary<string, string?>
        {
            ["Ingestion:MaxBatchEvents"] = "10",
            ["Ingestion:MaxRequestBytes"] = MaxRequestBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Ingestion:MaxEventBytes"] = MaxEventBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Ingestion:MaxRecordBytes"] = (64 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

        public async Task DisposeAsync() => await Api.DisposeAsync();
    }

    private Ingest.IngestClient Client(string? key = InProcessApi.Key) => new(fixture.Api.Channel(key));

    [Fact]
    public async Task PublishAnswersWithWhereTheBrokerStoredTheEvent()
    {
        var id = $"grpc-{Guid.NewGuid():N}";

        var result = await Client().PublishAsync(Event(id, "grpc.unary"), deadline: Deadline());

        Assert.Equal(id, result.Id);
        Assert.Equal(EventResult.OutcomeOneofCase.Accepted, result.OutcomeCase);
        var stored = ReadBack(result.Accepted);
        Assert.Equal((id, "grpc.unary", "/tests", "customer-1"), (stored.Id, stored.Type, stored.Source, stored.Key));
        Assert.Equal("""{"n":1}"""u8.ToArray(), stored.Data);
    }

    [Fact]
    public async Task AnEventWithoutIdIsStoredUnderTheVersion7IdItsAnswerNames()
    {
        var result = await Client().PublishAsync(Event("", "grpc.no-id"), deadline: Deadline());

        Assert.Equal(7, Guid.Parse(result.Id).Version);
        Assert.Equal(result.Id, ReadBack(result.Accepted).Id);
    }

    [Fact]
    public async Task AnInvalidEventIsInvalidArgumentWithItsProblemsByAttribute()
    {
        var invalid = Event("bad-1", "");
        invalid.Attributes["time"] = new CloudEventAttributeValue { CeString = "yesterday" };

        var refused = await Assert.ThrowsAsync<RpcException>(() => Client().PublishAsync(invalid, deadline: Deadline()).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        var status = refused.GetRpcStatus()!;
        Assert.Equal(["time", "type"], status.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field).Order(StringComparer.Ordinal));
        Assert.Equal("bad-1", status.GetDetail<EventResult>().Id);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-the-key-0123456789")]
    public async Task WithoutTheKeyEveryCallIsUnauthenticated(string? key)
    {
        var client = Client(key);

        Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(() => client.PublishAsync(Event("k", "t"), deadline: Deadline()).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(() =>
            client.PublishBatchAsync(new CloudEventBatch { Events = { Event("k", "t") } }, deadline: Deadline()).ResponseAsync)).StatusCode);
        using var stream = client.PublishStream(deadline: Deadline());
        Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(() => stream.ResponseStream.MoveNext())).StatusCode);
    }

    [Fact]
    public async Task PublishBatchAnswersEachEventInOrder()
    {
        var batch = new CloudEventBatch
        {
            Events =
            {
                Event("b-0", "grpc.batch"), Event("b-1", ""), Event("b-2", "grpc.batch"),
                new CloudEvent { Id = "b-3", Type = "grpc.batch", SpecVersion = "1.0" }, Event("", "grpc.batch"),
            },
        };

        var answer = await Client().PublishBatchAsync(batch, deadline: Deadline());

        Assert.Equal((3, 2, 0), (answer.Accepted, answer.Rejected, answer.Failed));
        Assert.Equal([0L, 1, 2, 3, 4], answer.Results.Select(r => r.Index));
        Assert.Equal(["b-0", "b-1", "b-2", "b-3"], answer.Results.Take(4).Select(r => r.Id));
        Assert.Equal(["type"], answer.Results[1].Rejected.Problems.Keys);
        Assert.Equal(["source"], answer.Results[3].Rejected.Problems.Keys);
        foreach (var accepted in answer.Results.Where(r => r.OutcomeCase == EventResult.OutcomeOneofCase.Accepted))
        {
            Assert.Equal(accepted.Id, ReadBack(accepted.Accepted).Id);
        }
    }

    [Fact]
    public async Task ABatchOverTheEventLimitIsResourceExhausted()
    {
        var batch = new CloudEventBatch { Events = { Enumerable.Range(0, 11).Select(i => Event($"many-{i}", "grpc.batch")) } };

        var refused = await Assert.ThrowsAsync<RpcException>(() => Client().PublishBatchAsync(batch, deadline: Deadline()).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
    }

    [Fact]
    public async Task AMessageOverTheRequestLimitIsResourceExhaustedAndDataOverTheEventLimitIsInvalid()
    {
        var huge = Event("huge", "grpc.big");
        huge.BinaryData = ByteString.CopyFrom(new byte[MaxRequestBytes + 1]);
        var big = Event("big", "grpc.big");
        big.BinaryData = ByteString.CopyFrom(new byte[MaxEventBytes + 1]);

        var overRequest = await Assert.ThrowsAsync<RpcException>(() => Client().PublishAsync(huge, deadline: Deadline()).ResponseAsync);
        var overEvent = await Assert.ThrowsAsync<RpcException>(() => Client().PublishAsync(big, deadline: Deadline()).ResponseAsync);

        Assert.True(overRequest.StatusCode == StatusCode.ResourceExhausted, overRequest.ToString());
        Assert.Equal(StatusCode.InvalidArgument, overEvent.StatusCode);
        Assert.Equal(["data"], overEvent.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field));
    }

    [Fact]
    public async Task AStreamAnswersEveryEventOnceAcceptedOnlyWithWhereItWasStored()
    {
        const int Events = 3_000;
        using var timeout = new CancellationTokenSource(Timeout);
        using var stream = Client().PublishStream(cancellationToken: timeout.Token);
        var answers = new List<EventResult>();
        var reading = Task.Run(async () =>
        {
            await foreach (var message in stream.ResponseStream.ReadAllAsync(timeout.Token))
            {
                answers.AddRange(message.Results);
            }
        }, timeout.Token);

        // Every 100th event is invalid (no type), every 250th has no id.
        for (var i = 0; i < Events; i++)
        {
            await stream.RequestStream.WriteAsync(Event(i % 250 == 0 ? "" : $"s-{i}", i % 100 == 0 ? "" : "grpc.stream"), timeout.Token);
        }

        await stream.RequestStream.CompleteAsync();
        await reading;

        Assert.Equal(Enumerable.Range(0, Events).Select(i => (long)i), answers.Select(a => a.Index).Order());
        Assert.All(answers.Where(a => a.Index % 250 != 0), a => Assert.Equal($"s-{a.Index}", a.Id));
        Assert.All(answers, a => Assert.Equal(a.Index % 100 == 0 ? EventResult.OutcomeOneofCase.Rejected : EventResult.OutcomeOneofCase.Accepted, a.OutcomeCase));
        Assert.All(answers.Where(a => a.Index % 100 == 0), a => Assert.Equal(["type"], a.Rejected.Problems.Keys));
        var accepted = answers.Where(a => a.OutcomeCase == EventResult.OutcomeOneofCase.Accepted).ToList();
        Assert.Equal(accepted.Count, accepted.Select(a => (a.Accepted.Partition, a.Accepted.Offset)).Distinct().Count());
        Assert.All(accepted.Where(a => a.Index % 250 == 0).Select(a => Guid.Parse(a.Id)), id => Assert.Equal(7, id.Version));
        foreach (var sample in accepted.Where(a => a.Index % 500 == 1))
        {
            Assert.Equal(sample.Id, ReadBack(sample.Accepted).Id);
        }
    }

    [Fact]
    public async Task AClientThatDoesNotReadItsAnswersIsHeldBackAndThenGetsEveryOne()
    {
        // 1 KiB events: far more than the HTTP/2 windows and the API's in-flight budget hold.
        const int Events = 20_000;
        using var timeout = new CancellationTokenSource(Timeout);
        using var stream = Client().PublishStream(cancellationToken: timeout.Token);
        var written = 0;
        var writing = Task.Run(async () =>
        {
            for (var i = 0; i < Events; i++)
            {
                var e = Event($"slow-{i}", "grpc.slow-reader");
                e.BinaryData = ByteString.CopyFrom(new byte[1024]);
                await stream.RequestStream.WriteAsync(e, timeout.Token);
                Volatile.Write(ref written, i + 1);
            }

            await stream.RequestStream.CompleteAsync();
        }, timeout.Token);

        // The writes stop making progress (a second without one) well before the end: the server stopped reading.
        int heldAt;
        var seen = -1;
        while (((heldAt = Volatile.Read(ref written)) != seen || heldAt == 0) && !writing.IsCompleted)
        {
            seen = heldAt;
            await Task.Delay(TimeSpan.FromSeconds(1), timeout.Token);
        }

        Assert.InRange(heldAt, 1, Events / 2);

        var answered = new HashSet<long>();
        await foreach (var message in stream.ResponseStream.ReadAllAsync(timeout.Token))
        {
            foreach (var result in message.Results)
            {
                Assert.True(answered.Add(result.Index), $"event {result.Index} answered twice");
                Assert.Equal(EventResult.OutcomeOneofCase.Accepted, result.OutcomeCase);
            }
        }

        await writing;
        Assert.Equal(Events, answered.Count);
    }

    private static CloudEvent Event(string id, string type) => new()
    {
        Id = id,
        Source = "/tests",
        SpecVersion = "1.0",
        Type = type,
        TextData = """{"n":1}""",
        Attributes =
        {
            ["partitionkey"] = new CloudEventAttributeValue { CeString = "customer-1" },
            ["datacontenttype"] = new CloudEventAttributeValue { CeString = "application/json" },
        },
    };

    private static DateTime Deadline() => DateTime.UtcNow + Timeout;

    /// <summary>The event in the record the answer points at, read with the system's one binding.</summary>
    private IngestEvent ReadBack(Accepted accepted)
    {
        using var consumer = new ConsumerBuilder<string?, byte[]>(new ConsumerConfig { BootstrapServers = fixture.Api.Broker.BootstrapServers, GroupId = "grpc-read-back" })
            .SetLogHandler((_, _) => { }).Build();
        consumer.Assign(new TopicPartitionOffset(accepted.Topic, accepted.Partition, accepted.Offset));
        var record = consumer.Consume(TimeSpan.FromSeconds(10));
        Assert.NotNull(record);
        Assert.True(CloudEventKafkaBinding.TryRead(record.Message, out var read, out var error), error);
        return read!;
    }
}
