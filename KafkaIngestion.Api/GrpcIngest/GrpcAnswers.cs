using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using KafkaIngestion.Events;
using KafkaIngestion.IngestGrpc;
using RpcStatus = Google.Rpc.Status;

namespace KafkaIngestion.Api.GrpcIngest;

/// <summary>
/// What the gRPC service answers, pure and apart from the service so it can be tested alone:
/// each event's <see cref="EventResult"/> (the outcomes of the HTTP batch answer), and the
/// status of a call refused as a whole. Nothing a client sent ever becomes INTERNAL.
/// </summary>
internal static class GrpcAnswers
{
    public const string ApiKeyMetadata = "x-api-key";

    public static EventResult Accepted(long index, string id, string topic, PublishOutcome outcome) => new()
    {
        Id = id,
        Index = index,
        Accepted = new IngestGrpc.Accepted { Topic = topic, Partition = outcome.Partition, Offset = outcome.Offset },
    };

    public static EventResult Rejected(long index, string id, IReadOnlyDictionary<string, string[]> problems)
    {
        var rejected = new IngestGrpc.Rejected();
        foreach (var (attribute, messages) in problems)
        {
            rejected.Problems.Add(attribute, new Problems { Messages = { messages } });
        }

        return new EventResult { Id = id, Index = index, Rejected = rejected };
    }

    public static EventResult Failed(long index, string id, string reason, TimeSpan retryAfter) => new()
    {
        Id = id,
        Index = index,
        Failed = new IngestGrpc.Failed { Reason = reason, RetryAfter = Duration.FromTimeSpan(retryAfter) },
    };

    /// <summary>The broker's verdict on a valid event, read as the HTTP API reads it.</summary>
    public static EventResult ForOutcome(long index, IngestEvent ingestEvent, PublishOutcome outcome, string topic, TimeSpan retryAfter) =>
        outcome.Stored ? Accepted(index, ingestEvent.Id, topic, outcome)
        // Permanent: resending cannot help, so it is reported like invalid input.
        : outcome.TooLarge ? Rejected(index, ingestEvent.Id, new Dictionary<string, string[]> { ["$"] = [$"Kafka refused the event for its size ({outcome.Error}: {outcome.Reason})."] })
        : Failed(index, ingestEvent.Id, $"{outcome.Error}: {outcome.Reason}", retryAfter);

    public static IngestGrpc.BatchResult Batch(IEnumerable<EventResult> results)
    {
        var batch = new IngestGrpc.BatchResult { Results = { results } };
        foreach (var result in batch.Results)
        {
            switch (result.OutcomeCase)
            {
                case EventResult.OutcomeOneofCase.Accepted: batch.Accepted++; break;
                case EventResult.OutcomeOneofCase.Rejected: batch.Rejected++; break;
                default: batch.Failed++; break;
            }
        }

        return batch;
    }

    /// <summary>
    /// A unary Publish whose event was not accepted: INVALID_ARGUMENT with the problems
    /// (google.rpc.BadRequest), or UNAVAILABLE with when to resend (google.rpc.RetryInfo); the
    /// event's own result rides along in the details either way.
    /// </summary>
    public static RpcException NotAccepted(EventResult result)
    {
        var status = result.OutcomeCase == EventResult.OutcomeOneofCase.Rejected
            ? new RpcStatus { Code = (int)Code.InvalidArgument, Message = "The event is invalid.", Details = { Any.Pack(BadRequest(result.Rejected)) } }
            : new RpcStatus
            {
                Code = (int)Code.Unavailable,
                Message = $"The broker did not acknowledge the event ({result.Failed.Reason}). It may or may not have been stored: send it again later with the same id.",
                Details = { Any.Pack(new RetryInfo { RetryDelay = result.Failed.RetryAfter }) },
            };
        status.Details.Add(Any.Pack(result));
        return status.ToRpcException();
    }

    public static RpcException Unauthenticated() =>
        new(new Grpc.Core.Status(StatusCode.Unauthenticated, $"Send a valid key in the {ApiKeyMetadata} metadata entry."));

    public static RpcException RateLimited(TimeSpan retryAfter) => new RpcStatus
    {
        Code = (int)Code.ResourceExhausted,
        Message = "This API key is over its request rate; retry after the delay in google.rpc.RetryInfo.",
        Details = { Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(RoundedUp(retryAfter)) }) },
    }.ToRpcException();

    public static RpcException TooManyEvents(int maxEvents) =>
        new(new Grpc.Core.Status(StatusCode.ResourceExhausted, $"A batch may hold at most {maxEvents} events (Ingestion:MaxBatchEvents)."));

    public static RpcException NoEvents() =>
        new(new Grpc.Core.Status(StatusCode.InvalidArgument, "The batch is empty."));

    public static RpcException InFlightLimit(TimeSpan retryAfter) => new RpcStatus
    {
        Code = (int)Code.Unavailable,
        Message = "The API is working at its in-flight limit (Ingestion:MaxInFlightBytes); nothing was stored. Send the call again later.",
        Details = { Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(retryAfter) }) },
    }.ToRpcException();

    private static BadRequest BadRequest(IngestGrpc.Rejected rejected)
    {
        var badRequest = new BadRequest();
        foreach (var (attribute, problems) in rejected.Problems)
        {
            foreach (var message in problems.Messages)
            {
                badRequest.FieldViolations.Add(new BadRequest.Types.FieldViolation { Field = attribute, Description = message });
            }
        }

        return badRequest;
    }

    /// <summary>Whole seconds, at least one, like the HTTP API's Retry-After.</summary>
    private static TimeSpan RoundedUp(TimeSpan wait) => TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(wait.TotalSeconds)));
}
