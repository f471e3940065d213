using Confluent.Kafka;
using KafkaIngestion.Consumer.Consuming;
using KafkaIngestion.Consumer.Storage;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Consumer;

/// <summary>
/// Reads <c>events</c> in the consumer group on a thread of its own (Confluent's <c>Consume</c>
/// blocks; see <see cref="ConsumeLoop"/>) and gathers records into micro-batches; a second thread
/// stores each batch in one transaction (<see cref="BatchStorer"/>), so reading the next batch
/// overlaps storing this one. A batch's offsets are stored (on the consume thread, which owns the
/// consumer) only after its transaction committed (<see cref="OffsetLedger"/>). A crash therefore
/// re-delivers rather than skips (at-least-once), and the store's unique event id makes
/// re-delivery harmless (exactly-once effect). Stored offsets are committed by librdkafka in the
/// background, on revocation (<see cref="RebalanceHandler"/>), and by <c>Close()</c>.
/// </summary>
internal sealed class EventConsumerWorker : BackgroundService
{
    private readonly StoreQueue _queue;
    private readonly BatchStorer _storer;
    private readonly ConsumeLoop _loop;
    private readonly RebalanceHandler _rebalance;
    private readonly ConsumerLoopState _loopState;
    private readonly ILogger _logger;
    private CancellationToken _stopping;
    private Task? _threadsEnded;

    public EventConsumerWorker(
        IConsumer<string?, byte[]> consumer,
        IEventStore store,
        DeadLetterWriter deadLetters,
        ConsumerCounters counters,
        ConsumerMetrics metrics,
        RecentEvents recentEvents,
        ConsumerLoopState loopState,
        ReplayRequests replays,
        IOptions<ConsumerOptions> options,
        TimeProvider timeProvider,
        IConfiguration configuration,
        ILogger<EventConsumerWorker> logger)
    {
        var settings = options.Value;
        // The group as librdkafka was configured (Kafka:Consumer:Config can override the default), for spans.
        var groupId = configuration["Kafka:Consumer:Config:group.id"] ?? ConsumerOptions.DefaultGroupId;
        var ledger = new OffsetLedger();
        var pause = new PartitionPause(consumer, logger);
        var gaps = new GapDetector(partition => consumer.Committed([partition], ConsumeLoop.CommittedLookupTimeout)[0].Offset);
        _queue = new StoreQueue(settings.StoreQueueBatches);
        _storer = new BatchStorer(store, deadLetters, _queue, ledger, counters, metrics, recentEvents, loopState, settings, groupId, timeProvider, logger);
        var handOff = new BatchHandOff(consumer, _queue, ledger, new BatchPreparer(deadLetters, counters, timeProvider), settings, timeProvider, logger);
        _loop = new ConsumeLoop(consumer, handOff, pause, gaps, _queue, replays, counters, loopState, settings, logger);
        _rebalance = new RebalanceHandler(consumer, handOff, ledger, pause, gaps, logger);
        _loopState = loopState;
        _logger = logger;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        var storeThread = new Thread(_storer.Run) { IsBackground = true, Name = "event-store" };
        storeThread.Start();
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            Exception? failure = null;
            try
            {
                _loop.Run(stoppingToken);
            }
            catch (Exception ex)
            {
                failure = ex;
                _loopState.Fail(ex.Message);
                ConsumerLog.LoopFailed(_logger, ex);
            }
            finally
            {
                // The store thread ends before the host may dispose the store under it.
                _queue.Complete();
                storeThread.Join();
            }

            if (failure is null)
            {
                finished.SetResult();
            }
            else
            {
                finished.SetException(failure);
            }
        })
        {
            IsBackground = true,
            Name = "kafka-consume",
        };
        thread.Start();
        _threadsEnded = finished.Task;
        return finished.Task;
    }

    /// <summary>librdkafka's revocation callback (see <see cref="RebalanceHandler.Revoked"/>).</summary>
    public void OnPartitionsRevoked(IConsumer<string?, byte[]> revokedFrom, List<TopicPartitionOffset> partitions) =>
        _rebalance.Revoked(revokedFrom, partitions, _stopping);

    /// <summary>librdkafka's lost-partitions callback (see <see cref="RebalanceHandler.Lost"/>).</summary>
    public void OnPartitionsLost(List<TopicPartitionOffset> partitions) => _rebalance.Lost(partitions);

    public override void Dispose()
    {
        base.Dispose();
        // The host disposes its services once its shutdown timeout has passed, even when the
        // consume thread is still closing the consumer (a broker that went away); the threads
        // still use the queue then and end on their own, so it is left to the GC.
        if (_threadsEnded is null || _threadsEnded.IsCompleted)
        {
            _queue.Dispose();
        }
    }
}
