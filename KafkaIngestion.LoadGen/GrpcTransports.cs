using Grpc.Core;
using Grpc.Net.Client;
using KafkaIngestion.IngestGrpc;

namespace KafkaIngestion.LoadGen;

/// <summary>Batches as PublishBatch calls, answered per event.</summary>
internal sealed class GrpcBatchTransport(Uri target, string? apiKey, TimeSpan timeout) : ILoadTransport
{
    private readonly GrpcChannel _channel = GrpcTransport.Channel(target);
    private readonly Metadata _headers = GrpcTransport.Headers(apiKey);

    public async ValueTask<TransportAnswer> SendAsync(RequestBody body, bool readBody, CancellationToken stop)
    {
        try
        {
            var answer = await new Ingest.IngestClient(_channel).PublishBatchAsync((CloudEventBatch)body.Message!, _headers, DateTime.UtcNow + timeout, stop);
            return GrpcAnswerMapping.ForBatch(answer);
        }
        catch (RpcException ex) when (!stop.IsCancellationRequested)
        {
            return GrpcAnswerMapping.ForStatus(ex);
        }
        catch (RpcException) when (stop.IsCancellationRequested)
        {
            throw new OperationCanceledException(stop);
        }
    }

    public void Dispose() => _channel.Dispose();
}

/// <summary>
/// Single events over bidirectional PublishStream calls: each send goes onto one of a few
/// long-lived streams, round robin, and waits for that event's answer (matched by its position
/// in the stream). A broken stream fails its unanswered events (no answer: the runner may resend
/// them, same ids) and is opened anew for the next event.
/// </summary>
internal sealed class GrpcStreamTransport : ILoadTransport
{
    private readonly GrpcChannel _channel;
    private readonly Ingest.IngestClient _client;
    private readonly Metadata _headers;
    private readonly TimeSpan _timeout;
    private readonly EventStream?[] _streams;
    private readonly Lock _gate = new();
    private readonly Timer _sweep;
    private int _next;

    public GrpcStreamTransport(Uri target, string? apiKey, TimeSpan timeout, int streams)
    {
        _channel = GrpcTransport.Channel(target);
        _client = new Ingest.IngestClient(_channel);
        _headers = GrpcTransport.Headers(apiKey);
        _timeout = timeout;
        _streams = new EventStream?[streams];
        _sweep = new Timer(_ => Sweep(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    public async ValueTask<TransportAnswer> SendAsync(RequestBody body, bool readBody, CancellationToken stop)
    {
        var lane = (int)((uint)Interlocked.Increment(ref _next) % _streams.Length);
        var answer = new TaskCompletionSource<EventResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        Stream(lane).Send((CloudEvent)body.Message!, answer);
        // No timer per event: the sweep fails events unanswered for longer than the request timeout.
        return GrpcAnswerMapping.ForEvent(await answer.Task.WaitAsync(stop));
    }

    /// <summary>Fails every event that has waited longer than the request timeout for its answer.</summary>
    private void Sweep()
    {
        var overdue = System.Diagnostics.Stopwatch.GetTimestamp() - (long)(_timeout.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        lock (_gate)
        {
            foreach (var stream in _streams)
            {
                stream?.Expire(overdue);
            }
        }
    }

    private EventStream Stream(int lane)
    {
        lock (_gate)
        {
            if (_streams[lane] is not { IsBroken: false } stream)
            {
                _streams[lane]?.Dispose();
                _streams[lane] = stream = new EventStream(_client.PublishStream(_headers));
            }

            return stream;
        }
    }

    public void Dispose()
    {
        _sweep.Dispose();
        foreach (var stream in _streams)
        {
            stream?.Dispose();
        }

        _channel.Dispose();
    }

    private sealed class EventStream : IDisposable
    {
        private readonly AsyncDuplexStreamingCall<CloudEvent, StreamResults> _call;
        private readonly System.Threading.Channels.Channel<(CloudEvent Event, TaskCompletionSource<EventResult> Answer)> _outgoing =
            System.Threading.Channels.Channel.CreateUnbounded<(CloudEvent, TaskCompletionSource<EventResult>)>(new() { SingleReader = true });
        private readonly System.Collections.Concurrent.ConcurrentDictionary<long, (TaskCompletionSource<EventResult> Answer, long SentAt)> _unanswered = new();
        private volatile bool _broken;

        public EventStream(AsyncDuplexStreamingCall<CloudEvent, StreamResults> call)
        {
            _call = call;
            _ = Task.Run(WriteAsync);
            _ = Task.Run(ReadAsync);
        }

        public bool IsBroken => _broken;

        public void Send(CloudEvent cloudEvent, TaskCompletionSource<EventResult> answer)
        {
            if (!_outgoing.Writer.TryWrite((cloudEvent, answer)))
            {
                answer.TrySetException(new TransportException("StreamBroken", "The stream broke before the event was sent."));
            }
        }

        private async Task WriteAsync()
        {
            var reader = _outgoing.Reader;
            var index = 0L;
            try
            {
                while (await reader.WaitToReadAsync())
                {
                    while (reader.TryRead(out var item))
                    {
                        _unanswered[index++] = (item.Answer, System.Diagnostics.Stopwatch.GetTimestamp());
                        await _call.RequestStream.WriteAsync(item.Event);
                    }
                }

                await _call.RequestStream.CompleteAsync();
            }
            catch (Exception ex) when (ex is RpcException or InvalidOperationException or IOException or OperationCanceledException)
            {
                Break(ex);
            }
        }

        private async Task ReadAsync()
        {
            try
            {
                await foreach (var message in _call.ResponseStream.ReadAllAsync())
                {
                    foreach (var result in message.Results)
                    {
                        if (_unanswered.TryRemove(result.Index, out var waiting))
                        {
                            waiting.Answer.TrySetResult(result);
                        }
                    }
                }

                Break(null);
            }
            catch (Exception ex) when (ex is RpcException or InvalidOperationException or IOException or OperationCanceledException)
            {
                Break(ex);
            }
        }

        /// <summary>Every event still waiting gets no answer: it may or may not have been stored.</summary>
        private void Break(Exception? cause)
        {
            _broken = true;
            _outgoing.Writer.TryComplete();
            var failure = cause is RpcException rpc
                ? new TransportException($"Grpc{rpc.StatusCode}", rpc.Status.Detail, rpc)
                : new TransportException("StreamBroken", cause?.Message ?? "The stream ended before every event was answered.", cause);
            foreach (var key in _unanswered.Keys)
            {
                if (_unanswered.TryRemove(key, out var waiting))
                {
                    waiting.Answer.TrySetException(failure);
                }
            }

            while (_outgoing.Reader.TryRead(out var item))
            {
                item.Answer.TrySetException(failure);
            }
        }

        /// <summary>Events sent before <paramref name="overdue"/> and still unanswered time out (the stream itself goes on).</summary>
        public void Expire(long overdue)
        {
            foreach (var (index, waiting) in _unanswered)
            {
                if (waiting.SentAt < overdue && _unanswered.TryRemove(index, out _))
                {
                    waiting.Answer.TrySetException(new TransportException(TransportException.TimeoutKind, "No answer on the stream in time."));
                }
            }
        }

        public void Dispose()
        {
            _outgoing.Writer.TryComplete();
            _call.Dispose();
        }
    }
}

/// <summary>What both gRPC transports share.</summary>
internal static class GrpcTransport
{
    public static GrpcChannel Channel(Uri target) => GrpcChannel.ForAddress(target, new GrpcChannelOptions
    {
        // A plain handler, like the HTTP transports: no retries, every failure seen as it happens.
        HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, UseProxy = false, UseCookies = false },
        MaxReceiveMessageSize = null,
    });

    public static Metadata Headers(string? apiKey) => string.IsNullOrEmpty(apiKey) ? [] : new Metadata { { "x-api-key", apiKey } };
}
