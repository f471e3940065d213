using Google.Rpc;
using Grpc.Core;
using KafkaIngestion.IngestGrpc;

namespace KafkaIngestion.LoadGen;

/// <summary>
/// gRPC answers read as the HTTP status codes the runner already understands: accepted 202,
/// rejected 400, failed 503 (resend), RESOURCE_EXHAUSTED 429, UNAUTHENTICATED 401, so the same
/// retry rules and report columns serve both protocols.
/// </summary>
internal static class GrpcAnswerMapping
{
    public static TransportAnswer ForEvent(EventResult result) => result.OutcomeCase switch
    {
        EventResult.OutcomeOneofCase.Accepted => new TransportAnswer(202, null, null),
        EventResult.OutcomeOneofCase.Rejected => new TransportAnswer(400, null, null),
        _ => new TransportAnswer(503, result.Failed?.RetryAfter?.ToTimeSpan(), null),
    };

    /// <summary>A batch read as HTTP's: 202 all accepted, 503 none stored for want of the broker (resend), 207 otherwise.</summary>
    public static TransportAnswer ForBatch(BatchResult batch)
    {
        var accepted = batch.Results.Where(r => r.OutcomeCase == EventResult.OutcomeOneofCase.Accepted).Select(r => r.Id).ToList();
        var code = accepted.Count == batch.Results.Count ? 202 : batch.Failed == batch.Results.Count ? 503 : 207;
        var retryAfter = code == 503 ? batch.Results[0].Failed.RetryAfter?.ToTimeSpan() : null;
        return new TransportAnswer(code, retryAfter, null, accepted, batch.Rejected);
    }

    /// <summary>A call refused as a whole: its status as an HTTP answer, or a transport error when nothing was answered.</summary>
    public static TransportAnswer ForStatus(RpcException refused)
    {
        var retryAfter = refused.GetRpcStatus()?.GetDetail<RetryInfo>()?.RetryDelay?.ToTimeSpan();
        return refused.StatusCode switch
        {
            StatusCode.InvalidArgument => new TransportAnswer(400, null, null),
            StatusCode.Unauthenticated => new TransportAnswer(401, null, null),
            StatusCode.ResourceExhausted => new TransportAnswer(429, retryAfter, null),
            StatusCode.Unavailable when refused.GetRpcStatus() is not null => new TransportAnswer(503, retryAfter, null),
            StatusCode.DeadlineExceeded => throw new TransportException(TransportException.TimeoutKind, refused.Status.Detail, refused),
            // UNAVAILABLE without details is the client's own: the connection failed.
            _ => throw new TransportException($"Grpc{refused.StatusCode}", refused.Status.Detail, refused),
        };
    }
}
