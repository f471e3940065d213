using Google.Protobuf;
using Grpc.Core;
using KafkaIngestion.Api.Input;
using KafkaIngestion.Events;
using KafkaIngestion.IngestGrpc;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Api.GrpcIngest;

/// <summary>
/// The gRPC ingestion service (ingest.proto), on the API's HTTP/2 endpoint, behind
/// <see cref="GrpcGate"/>. It reuses the HTTP API's pieces: the in-flight budget, validation
/// (<see cref="ProtoEventReader"/> into <see cref="EventDraft"/>), the publisher and the counters.
/// </summary>
internal sealed class IngestService(
    EventPublisher publisher,
    InFlightBudget budget,
    IngestionAnswers answers,
    IngestionGate gate,
    IOptions<IngestionOptions> options,
    TimeProvider timeProvider) : Ingest.IngestBase
{
    public override async Task<EventResult> Publish(CloudEvent request, ServerCallContext context)
    {
        var settings = options.Value;
        using var admission = await AdmitAsync(request, settings, context.CancellationToken);
        var problems = new EventProblems();
        if (ProtoEventReader.Read(request, settings.EventDefaultsAt(timeProvider.GetUtcNow()), problems, "") is not { } ingestEvent)
        {
            answers.CountInvalid(1);
            throw GrpcAnswers.NotAccepted(GrpcAnswers.Rejected(0, request.Id, problems.ToDictionary()));
        }

        var outcomes = await publisher.PublishAsync([ingestEvent], context.CancellationToken);
        var result = GrpcAnswers.ForOutcome(0, ingestEvent, outcomes[0], publisher.Topic, RetryAfter(settings));
        return result.OutcomeCase == EventResult.OutcomeOneofCase.Accepted ? result : throw GrpcAnswers.NotAccepted(result);
    }

    public override async Task<IngestGrpc.BatchResult> PublishBatch(CloudEventBatch request, ServerCallContext context)
    {
        var settings = options.Value;
        if (request.Events.Count == 0)
        {
            answers.CountRefused(RejectionReasons.InvalidEvent);
            throw GrpcAnswers.NoEvents();
        }

        if (request.Events.Count > settings.MaxBatchEvents)
        {
            answers.CountRefused(RejectionReasons.BatchTooLarge);
            throw GrpcAnswers.TooManyEvents(settings.MaxBatchEvents);
        }

        using var admission = await AdmitAsync(request, settings, context.CancellationToken);
        var defaults = settings.EventDefaultsAt(timeProvider.GetUtcNow());
        var problems = new EventProblems();
        var events = new IngestEvent?[request.Events.Count];
        var valid = new List<IngestEvent>(events.Length);
        for (var i = 0; i < events.Length; i++)
        {
            events[i] = ProtoEventReader.Read(request.Events[i], defaults, problems, $"[{i}].");
            if (events[i] is { } ingestEvent)
            {
                valid.Add(ingestEvent);
            }
        }

        answers.CountInvalid(events.Length - valid.Count);
        var outcomes = valid.Count > 0 ? await publisher.PublishAsync(valid, context.CancellationToken) : [];
        var problemsByEvent = problems.ByEvent();
        var results = new EventResult[events.Length];
        for (int i = 0, published = 0; i < events.Length; i++)
        {
            results[i] = events[i] is { } ingestEvent
                ? GrpcAnswers.ForOutcome(i, ingestEvent, outcomes[published++], publisher.Topic, RetryAfter(settings))
                : GrpcAnswers.Rejected(i, request.Events[i].Id, problemsByEvent.GetValueOrDefault(i) ?? []);
        }

        return GrpcAnswers.Batch(results);
    }

    public override Task PublishStream(IAsyncStreamReader<CloudEvent> requestStream, IServerStreamWriter<StreamResults> responseStream, ServerCallContext context) =>
        new EventStreamSession(publisher, budget, answers, gate, options.Value, timeProvider).RunAsync(requestStream, responseStream, context);

    internal static TimeSpan RetryAfter(IngestionOptions settings) => TimeSpan.FromSeconds(settings.RetryAfterSeconds);

    /// <summary>The call's bytes within the in-flight budget (the message is already read: gRPC bounds it by MaxReceiveMessageSize).</summary>
    private async Task<InFlightBudget.Admission> AdmitAsync(IMessage request, IngestionOptions settings, CancellationToken cancellationToken)
    {
        if (await budget.AdmitAsync(request.CalculateSize(), cancellationToken) is { } lease)
        {
            return lease;
        }

        answers.CountInFlightLimit();
        throw GrpcAnswers.InFlightLimit(RetryAfter(settings));
    }
}
