using System.Diagnostics;
using System.Threading.Channels;
using Grpc.Core;
using KafkaIngestion.Api.Input;
using KafkaIngestion.Events;
using KafkaIngestion.IngestGrpc;

namespace KafkaIngestion.Api.GrpcIngest;

/// <summary>
/// One PublishStream call. The reading loop takes an event only when the stream has room (at
/// most a quarter of the in-flight budget's worth of events unanswered, counted at 1 KiB each)
/// and the API's <see cref="InFlightBudget"/> admits it; until then it does not read, so HTTP/2
/// flow control holds the client back. Each event is answered once: rejected at once, or
/// accepted or failed on the broker's verdict (on the producer's poll thread). Answers go out in
/// groups as they come, and an event's room and budget are given back only once its answer is
/// written: a client that never reads its answers stops the stream, not the server's memory.
/// </summary>
// Not disposable: delivery reports may still release room after the call ended, and a SemaphoreSlim
// holds nothing to free unless its wait handle is asked for.
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001:Types that own disposable fields should be disposable", Justification = "See above.")]
internal sealed class EventStreamSession(
    EventPublisher publisher,
    InFlightBudget budget,
    IngestionAnswers answers,
    IngestionGate gate,
    IngestionOptions settings,
    TimeProvider timeProvider)
{
    private const int MaxResultsPerMessage = 1_000;

    // How long past the publish deadline the end of a stream waits for the broker's last verdicts.
    private static readonly TimeSpan VerdictGrace = TimeSpan.FromSeconds(1);

    private readonly Channel<Answer> _answers = Channel.CreateUnbounded<Answer>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _room = new(StreamWindow(settings), StreamWindow(settings));
    private readonly TaskCompletionSource _allSettled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Events handed to the producer and not yet settled, plus one for the reading loop itself.
    private int _unsettled = 1;

    private readonly record struct Answer(EventResult Result, InFlightBudget.Admission? Lease);

    private readonly record struct Pending(EventStreamSession Session, long Index, IngestEvent Event, InFlightBudget.Admission Lease);

    /// <summary>Events one stream may have read and not yet answered.</summary>
    internal static int StreamWindow(IngestionOptions settings) => Math.Max(1, settings.MaxInFlightBytes / 4 / 1024);

    public async Task RunAsync(IAsyncStreamReader<CloudEvent> requests, IServerStreamWriter<StreamResults> responses, ServerCallContext context)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        var writing = WriteAnswersAsync(responses, stop);
        var partition = GrpcGate.PartitionOf(context);
        var streamSpan = Activity.Current?.Context ?? default;
        // Each event's span is a trace of its own, linked to the stream's (KafkaTelemetry.StartStreamSend):
        // with no current activity in this loop, starting one touches no AsyncLocal per event.
        Activity.Current = null;
        var retryAfter = IngestService.RetryAfter(settings);
        var problems = new EventProblems();
        var completed = false;
        try
        {
            for (var index = 0L; ; index++)
            {
                await _room.WaitAsync(stop.Token);
                if (!await requests.MoveNext(stop.Token))
                {
                    _room.Release();
                    completed = true;
                    break;
                }

                var cloudEvent = requests.Current;
                if (!gate.TryAcquire(partition, out var wait))
                {
                    answers.CountRefused(RejectionReasons.RateLimited);
                    Send(GrpcAnswers.Failed(index, cloudEvent.Id, "rate limited: this API key is over its request rate", TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(wait.TotalSeconds)))), null);
                    continue;
                }

                if (await budget.AdmitAsync(cloudEvent.CalculateSize(), stop.Token) is not { } lease)
                {
                    answers.CountInFlightLimit();
                    Send(GrpcAnswers.Failed(index, cloudEvent.Id, "in-flight limit: the API is working at Ingestion:MaxInFlightBytes", retryAfter), null);
                    continue;
                }

                problems.Clear();
                if (ProtoEventReader.Read(cloudEvent, settings.EventDefaultsAt(timeProvider.GetUtcNow()), problems, "") is not { } ingestEvent)
                {
                    answers.CountInvalid(1);
                    Send(GrpcAnswers.Rejected(index, cloudEvent.Id, problems.ToDictionary()), lease);
                    continue;
                }

                Interlocked.Increment(ref _unsettled);
                await publisher.ProduceAsync(ingestEvent, static (outcome, pending) => pending.Session.Settled(pending, outcome),
                    new Pending(this, index, ingestEvent, lease), streamSpan, stop.Token);
            }
        }
        finally
        {
            Settled();
            if (completed)
            {
                // The client has sent everything: every event it sent gets its answer before the call ends.
                try
                {
                    await _allSettled.Task.WaitAsync(settings.PublishTimeout + VerdictGrace, timeProvider, stop.Token);
                }
                catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
                {
                    // Unsettled events were not acknowledged in time; they get no answer, so the client resends them.
                }
            }

            _answers.Writer.TryComplete();
            await writing;
        }
    }

    private void Settled(Pending pending, PublishOutcome outcome)
    {
        Send(GrpcAnswers.ForOutcome(pending.Index, pending.Event, outcome, publisher.Topic, IngestService.RetryAfter(settings)), pending.Lease);
        Settled();
    }

    private void Settled()
    {
        if (Interlocked.Decrement(ref _unsettled) == 0)
        {
            _allSettled.TrySetResult();
        }
    }

    private void Send(EventResult result, InFlightBudget.Admission? lease)
    {
        if (!_answers.Writer.TryWrite(new Answer(result, lease)))
        {
            // The answers can no longer be written (the client went away): the room and budget come back all the same.
            Release(lease, 1);
        }
    }

    private async Task WriteAnswersAsync(IServerStreamWriter<StreamResults> responses, CancellationTokenSource stop)
    {
        var reader = _answers.Reader;
        var leases = new List<InFlightBudget.Admission?>(MaxResultsPerMessage);
        try
        {
            while (await reader.WaitToReadAsync(CancellationToken.None))
            {
                var message = new StreamResults();
                while (message.Results.Count < MaxResultsPerMessage && reader.TryRead(out var answer))
                {
                    message.Results.Add(answer.Result);
                    leases.Add(answer.Lease);
                }

                await responses.WriteAsync(message, stop.Token);
                ReleaseAll(leases);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The client is gone: stop reading its events, and give back what the unwritten answers held.
            ReleaseAll(leases);
            _answers.Writer.TryComplete();
            await stop.CancelAsync();
            while (reader.TryRead(out var answer))
            {
                Release(answer.Lease, 1);
            }
        }
    }

    private void ReleaseAll(List<InFlightBudget.Admission?> leases)
    {
        foreach (var lease in leases)
        {
            lease?.Dispose();
        }

        Release(null, leases.Count);
        leases.Clear();
    }

    private void Release(InFlightBudget.Admission? lease, int events)
    {
        lease?.Dispose();
        if (events > 0)
        {
            _room.Release(events);
        }
    }
}
