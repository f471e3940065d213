using Confluent.Kafka;
using Google.Rpc;
using Grpc.Core;
using KafkaIngestion.Api;
using KafkaIngestion.Api.GrpcIngest;
using KafkaIngestion.Api.Input;
using KafkaIngestion.Events;
using KafkaIngestion.IngestGrpc;

namespace KafkaIngestion.Tests.Api;

/// <summary>The gRPC answers and the reading of CloudEvent messages, without a server.</summary>
public sealed class GrpcAnswersTests
{
    private static readonly IngestEvent Event = new("e-1", "t", "/s", null, DateTimeOffset.UnixEpoch, []);
    private static readonly EventDefaults Defaults = new("/default", DateTimeOffset.UnixEpoch, MaxEventBytes: 100, MaxRecordBytes: 0);

    [Fact]
    public void AStoredEventIsAcceptedWithWhereItLanded()
    {
        var result = GrpcAnswers.ForOutcome(7, Event, new PublishOutcome(true, 2, 41, ErrorCode.NoError, null), "events", TimeSpan.FromSeconds(1));

        Assert.Equal(("e-1", 7L), (result.Id, result.Index));
        Assert.Equal(("events", 2, 41L), (result.Accepted.Topic, result.Accepted.Partition, result.Accepted.Offset));
    }

    [Fact]
    public void AnEventTheBrokerRefusedForItsSizeIsRejectedNotFailed()
    {
        var result = GrpcAnswers.ForOutcome(0, Event, PublishOutcome.Failed(new Error(ErrorCode.MsgSizeTooLarge, "too big")), "events", TimeSpan.FromSeconds(1));

        Assert.Equal(EventResult.OutcomeOneofCase.Rejected, result.OutcomeCase);
        Assert.Contains("$", result.Rejected.Problems.Keys);
    }

    [Fact]
    public void AnEventTheBrokerDidNotAcknowledgeFailedWithWhenToResend()
    {
        var result = GrpcAnswers.ForOutcome(0, Event, PublishOutcome.Failed(new Error(ErrorCode.Local_MsgTimedOut, "timed out")), "events", TimeSpan.FromSeconds(3));

        Assert.Equal(EventResult.OutcomeOneofCase.Failed, result.OutcomeCase);
        Assert.Contains("Local_MsgTimedOut", result.Failed.Reason, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(3), result.Failed.RetryAfter.ToTimeSpan());
    }

    [Fact]
    public void ARejectedUnaryEventIsInvalidArgumentWithItsProblemsAsFieldViolations()
    {
        var rejected = GrpcAnswers.Rejected(0, "e-1", new Dictionary<string, string[]> { ["type"] = ["required"], ["time"] = ["bad", "worse"] });

        var status = GrpcAnswers.NotAccepted(rejected).GetRpcStatus()!;

        Assert.Equal((int)Code.InvalidArgument, status.Code);
        var violations = status.GetDetail<BadRequest>().FieldViolations.Select(v => (v.Field, v.Description)).Order().ToList();
        Assert.Equal([("time", "bad"), ("time", "worse"), ("type", "required")], violations);
        Assert.Equal(rejected, status.GetDetail<EventResult>());
    }

    [Fact]
    public void AFailedUnaryEventIsUnavailableWithRetryInfo()
    {
        var failed = GrpcAnswers.Failed(0, "e-1", "Local_MsgTimedOut: timed out", TimeSpan.FromSeconds(2));

        var exception = GrpcAnswers.NotAccepted(failed);

        Assert.Equal(StatusCode.Unavailable, exception.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), exception.GetRpcStatus()!.GetDetail<RetryInfo>().RetryDelay.ToTimeSpan());
    }

    [Fact]
    public void RefusalsOfAWholeCallMapToTheirStatusCodesAndNeverInternal()
    {
        Assert.Equal(StatusCode.Unauthenticated, GrpcAnswers.Unauthenticated().StatusCode);
        var limited = GrpcAnswers.RateLimited(TimeSpan.FromMilliseconds(300));
        Assert.Equal(StatusCode.ResourceExhausted, limited.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), limited.GetRpcStatus()!.GetDetail<RetryInfo>().RetryDelay.ToTimeSpan());
        Assert.Equal(StatusCode.ResourceExhausted, GrpcAnswers.TooManyEvents(10).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, GrpcAnswers.NoEvents().StatusCode);
        Assert.Equal(StatusCode.Unavailable, GrpcAnswers.InFlightLimit(TimeSpan.FromSeconds(1)).StatusCode);
    }

    [Fact]
    public void ABatchCountsItsOutcomes()
    {
        var batch = GrpcAnswers.Batch([
            GrpcAnswers.Accepted(0, "a", "events", new PublishOutcome(true, 0, 1, ErrorCode.NoError, null)),
            GrpcAnswers.Rejected(1, "", new Dictionary<string, string[]> { ["type"] = ["required"] }),
            GrpcAnswers.Failed(2, "c", "down", TimeSpan.FromSeconds(1)),
            GrpcAnswers.Accepted(3, "d", "events", new PublishOutcome(true, 0, 2, ErrorCode.NoError, null)),
        ]);

        Assert.Equal((2, 1, 1, 4), (batch.Accepted, batch.Rejected, batch.Failed, batch.Results.Count));
    }

    [Fact]
    public void AMessageIsReadIntoTheSameEventAsTheHttpModesWouldMake()
    {
        var message = new CloudEvent
        {
            Id = "id-1", Source = "/shop", SpecVersion = "1.0", Type = "order.placed", TextData = """{"n":1}""",
            Attributes =
            {
                ["time"] = new CloudEventAttributeValue { CeTimestamp = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 11, 24, 17, 30, 0, TimeSpan.Zero)) },
                ["datacontenttype"] = new CloudEventAttributeValue { CeString = "application/json" },
                ["partitionkey"] = new CloudEventAttributeValue { CeString = "customer-1" },
                ["dataschema"] = new CloudEventAttributeValue { CeUri = "https://example.com/order.json" },
                ["priority"] = new CloudEventAttributeValue { CeInteger = 5 },
                ["urgent"] = new CloudEventAttributeValue { CeBoolean = true },
            },
        };

        var problems = new EventProblems();
        var read = ProtoEventReader.Read(message, Defaults, problems, "");

        Assert.Equal(0, problems.Count);
        Assert.NotNull(read);
        Assert.Equal(("id-1", "/shop", "order.placed", "customer-1"), (read.Id, read.Source, read.Type, read.Key));
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 17, 30, 0, TimeSpan.Zero), read.Time);
        Assert.Equal(("application/json", "https://example.com/order.json"), (read.DataContentType, read.DataSchema));
        Assert.Equal("""{"n":1}"""u8.ToArray(), read.Data);
        Assert.Equal([new("priority", "5"), new("urgent", "true")], read.Extensions.OrderBy(e => e.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void AMessageWithoutIdGetsAVersion7Uuid()
    {
        var read = ProtoEventReader.Read(new CloudEvent { Source = "/s", SpecVersion = "1.0", Type = "t" }, Defaults, new EventProblems(), "");

        Assert.Equal(7, Guid.Parse(read!.Id).Version);
    }

    [Fact]
    public void EveryProblemIsNamedByItsAttribute()
    {
        var message = new CloudEvent
        {
            SpecVersion = "0.3", Type = "", BinaryData = Google.Protobuf.ByteString.CopyFrom(new byte[101]),
            Attributes =
            {
                ["time"] = new CloudEventAttributeValue { CeString = "yesterday" },
                ["subject"] = new CloudEventAttributeValue { CeInteger = 1 },
                ["id"] = new CloudEventAttributeValue { CeString = "x" },
                ["Bad-Name"] = new CloudEventAttributeValue { CeString = "x" },
                ["empty"] = new CloudEventAttributeValue(),
            },
        };

        var problems = new EventProblems();
        var read = ProtoEventReader.Read(message, Defaults, problems, "");

        Assert.Null(read);
        Assert.Equal(["Bad-Name", "data", "empty", "id", "source", "specversion", "subject", "time", "type"], problems.ToDictionary().Keys.Order(StringComparer.Ordinal));
    }
}
