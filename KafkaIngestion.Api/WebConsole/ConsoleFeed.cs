using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using KafkaIngestion.ServiceDefaults.Kafka;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Api.WebConsole;

/// <summary>
/// Takes one <see cref="ConsoleSnapshot"/> a second and hands it to every open web console. One
/// feed serves all browsers (one consumer poll a second however many watch), and it works only
/// while someone watches: with no console open it neither polls the consumer nor probes the broker.
/// </summary>
internal sealed partial class ConsoleFeed(
    IngestionCounters counters,
    [FromKeyedServices(KafkaClientExtensions.ProducerProbeKey)] KafkaBrokerProbe probe,
    ConsumerPoller consumer,
    IOptions<ConsoleOptions> options,
    IOptions<IngestionOptions> ingestion,
    IHostApplicationLifetime lifetime,
    TimeProvider timeProvider,
    ILogger<ConsoleFeed> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    // Readings further apart than this (nobody watched in between) give no rate.
    private static readonly TimeSpan MaxRateGap = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<Channel<ConsoleSnapshot>, byte> _watchers = new();
    private readonly SemaphoreSlim _someoneWatches = new(0);
    private readonly long _origin = timeProvider.GetTimestamp();
    private readonly CounterRate _accepted = new(MaxRateGap);
    private readonly CounterRate _rejected = new(MaxRateGap);
    private readonly CounterRate _failed = new(MaxRateGap);
    private readonly CounterRate _processed = new(MaxRateGap);
    private Task<KafkaBrokerState>? _brokerCheck;
    private KafkaBrokerState? _broker;
    private ConsoleSnapshot? _latest;

    /// <summary>Snapshots from now on (the latest one first, if there is one) until the watcher leaves or the API stops.</summary>
    public async IAsyncEnumerable<ConsoleSnapshot> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // An open stream must not hold up the API's shutdown (Kestrel waits for open requests).
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        var channel = Channel.CreateBounded<ConsoleSnapshot>(new BoundedChannelOptions(1)
        {
            // A slow browser gets the newest snapshot, never a backlog.
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = true,
        });
        _watchers.TryAdd(channel, 0);
        _someoneWatches.Release();
        try
        {
            ConsoleSnapshot? last = null;
            if (Volatile.Read(ref _latest) is { } latest && timeProvider.GetUtcNow() - latest.At < MaxRateGap)
            {
                last = latest;
                yield return latest;
            }

            while (true)
            {
                bool more;
                try
                {
                    more = await channel.Reader.WaitToReadAsync(watching.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
                {
                    more = false; // the API is stopping: the stream ends, and the page reconnects to the next one
                }

                if (!more)
                {
                    yield break;
                }

                while (channel.Reader.TryRead(out var snapshot))
                {
                    // The latest snapshot may also have reached the channel as this watcher joined.
                    if (!ReferenceEquals(snapshot, last))
                    {
                        last = snapshot;
                        yield return snapshot;
                    }
                }
            }
        }
        finally
        {
            _watchers.TryRemove(channel, out _);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                while (_watchers.IsEmpty)
                {
                    await _someoneWatches.WaitAsync(stoppingToken).ConfigureAwait(false);
                }

                // A timer per watching spell: one left running while nobody watched would tick at
                // once on the next visit, a rate over a few milliseconds.
                using var timer = new PeriodicTimer(Interval, timeProvider);
                do
                {
                    await PublishAsync(stoppingToken).ConfigureAwait(false);
                }
                while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false) && !_watchers.IsEmpty);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task PublishAsync(CancellationToken stoppingToken)
    {
        ConsoleSnapshot snapshot;
        try
        {
            snapshot = await SampleAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The console must never take the API down; the next second tries again.
            LogSampleFailed(logger, ex);
            return;
        }

        Volatile.Write(ref _latest, snapshot);
        foreach (var watcher in _watchers.Keys)
        {
            watcher.Writer.TryWrite(snapshot);
        }
    }

    /// <summary>
    /// Reads the API's counters, the consumer and the broker once. The consumer answers within
    /// Console:PollTimeout or counts as unreachable; a broker probe slower than that (the broker
    /// is down) goes on in the background and the last known state is shown meanwhile.
    /// </summary>
    internal async Task<ConsoleSnapshot> SampleAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var reading = consumer.ReadAsync(cancellationToken);
        _brokerCheck ??= probe.CheckAsync(cancellationToken);
        await Task.WhenAll(reading, Task.WhenAny(_brokerCheck, Task.Delay(settings.PollTimeout, timeProvider, cancellationToken))).ConfigureAwait(false);
        if (_brokerCheck.IsCompleted)
        {
            var check = _brokerCheck;
            _brokerCheck = null;
            _broker = await check.ConfigureAwait(false);
        }

        var at = timeProvider.GetElapsedTime(_origin);
        var rejected = counters.Rejected.Values.Sum();
        var failed = counters.Failed.Values.Sum();
        var accepted = counters.Accepted;
        var api = new ApiView(
            _accepted.Next(accepted, at), _rejected.Next(rejected, at), _failed.Next(failed, at),
            accepted, rejected, failed, counters.InFlight);

        var topic = ingestion.Value.Topic;
        var broker = new BrokerView(
            settings.BrokerMode,
            _broker?.Reachable,
            _broker?.BrokerCount ?? 0,
            topic,
            _broker?.TopicPartitions is { } partitions && partitions.TryGetValue(topic, out var count) ? count : null,
            _broker?.Error);

        return new ConsoleSnapshot(timeProvider.GetUtcNow(), broker, api, Describe(await reading.ConfigureAwait(false), at));
    }

    private ConsumerView Describe(ConsumerReading reading, TimeSpan at)
    {
        if (reading.Status is not { } status)
        {
            _processed.Reset();
            return new ConsumerView(false, reading.Error, null, null, null, null, null, null, null, null, [], []);
        }

        var known = status.Partitions.Where(p => p.Lag is not null).ToList();
        return new ConsumerView(
            true,
            null,
            status.State,
            status.Member,
            _processed.Next(status.Processed, at),
            status.Processed,
            status.Duplicates,
            status.DeadLettered,
            status.GapEvents,
            known.Count == 0 ? null : known.Sum(p => p.Lag!.Value),
            [.. status.Partitions.Select(p => new PartitionLagView(p.Partition, p.Lag))],
            reading.Recent);
    }

    public override void Dispose()
    {
        _someoneWatches.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The web console's snapshot could not be taken; trying again in a second")]
    private static partial void LogSampleFailed(ILogger logger, Exception exception);
}
