using Grpc.Core;
using Grpc.Core.Interceptors;

namespace KafkaIngestion.Api.GrpcIngest;

/// <summary>
/// The <see cref="IngestionGate"/> before every gRPC call: the API key from the
/// <c>x-api-key</c> metadata entry (UNAUTHENTICATED), then, for unary calls, one token of that
/// key's rate limit (RESOURCE_EXHAUSTED). A stream takes a token per event instead
/// (<see cref="EventStreamSession"/>), so a stream of single events is limited like single requests.
/// </summary>
internal sealed class GrpcGate(IngestionGate gate, IngestionAnswers answers) : Interceptor
{
    private const string PartitionKey = "kafkaingestion.rate-limit-partition";

    /// <summary>The caller's rate-limit bucket, for the stream to take its tokens from.</summary>
    public static string PartitionOf(ServerCallContext context) => (string)context.UserState[PartitionKey];

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Admit(context, takeToken: true);
        return continuation(request, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Admit(context, takeToken: false);
        return continuation(requestStream, responseStream, context);
    }

    private void Admit(ServerCallContext context, bool takeToken)
    {
        var keys = context.RequestHeaders.GetAll(GrpcAnswers.ApiKeyMetadata);
        if (!gate.TryAuthenticate(keys.Count() == 1 ? keys.First().Value : null, out var partition))
        {
            answers.CountRefused(RejectionReasons.Unauthorized);
            throw GrpcAnswers.Unauthenticated();
        }

        context.UserState[PartitionKey] = partition;
        if (takeToken && !gate.TryAcquire(partition, out var retryAfter))
        {
            answers.CountRefused(RejectionReasons.RateLimited);
            throw GrpcAnswers.RateLimited(retryAfter);
        }
    }
}
