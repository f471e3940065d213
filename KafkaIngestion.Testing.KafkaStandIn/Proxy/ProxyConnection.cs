using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using KafkaIngestion.Testing.KafkaStandIn.Configuration;
using KafkaIngestion.Testing.KafkaStandIn.Protocol;

namespace KafkaIngestion.Testing.KafkaStandIn.Proxy;

/// <summary>
/// One client connection relayed to the mock broker, frame by frame. Answers that name brokers get
/// the listener's advertised address; CreateTopics is answered here. Kafka answers a connection's
/// requests in order, so a local answer waits in the queue until the forwarded ones before it are out.
/// </summary>
internal sealed partial class ProxyConnection(StandInListener listener, IPEndPoint broker, TopicAdmin topics, ILogger logger) : IDisposable
{
    private static readonly Dictionary<short, short> Caps = new()
    {
        [ApiKeys.Metadata] = BrokerAddressRewriter.MaxMetadataVersion,
        [ApiKeys.FindCoordinator] = BrokerAddressRewriter.MaxFindCoordinatorVersion,
    };

    private static readonly ApiVersionRange[] Served = [new(ApiKeys.CreateTopics, 0, CreateTopicsRequest.MaxVersion)];

    private readonly Queue<Pending> _pending = new();
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task RunAsync(Socket client, CancellationToken cancellationToken)
    {
        using var upstream = new Socket(broker.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await upstream.ConnectAsync(broker, cancellationToken);
        await using var clientStream = new NetworkStream(client, ownsSocket: false);
        await using var upstreamStream = new NetworkStream(upstream, ownsSocket: false);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var requests = RelayRequestsAsync(clientStream, upstreamStream, stop.Token);
        var responses = RelayResponsesAsync(upstreamStream, clientStream, stop.Token);
        // Either side closing ends the connection, as it would with a real broker.
        var first = await Task.WhenAny(requests, responses);
        await stop.CancelAsync();
        await Task.WhenAll(requests, responses).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await first;
    }

    private async Task RelayRequestsAsync(Stream client, Stream upstream, CancellationToken cancellationToken)
    {
        while (await FrameReader.ReadAsync(client, cancellationToken) is { } frame)
        {
            var header = RequestHeader.Parse(frame.AsSpan(4));
            if (header.ApiKey == ApiKeys.CreateTopics && header.ApiVersion <= CreateTopicsRequest.MaxVersion)
            {
                var request = CreateTopicsRequest.Parse(header, frame.AsSpan(4));
                var results = CreateTopicsHandler.Handle(request, topics.DefaultPartitions, topics.Create, topics.Exists);
                await AnswerLocallyAsync(header, CreateTopicsResponse.Write(header.CorrelationId, header.ApiVersion, results), client, cancellationToken);
                continue;
            }

            if (header.ApiKey == ApiKeys.Metadata && header.ApiVersion <= BrokerAddressRewriter.MaxMetadataVersion
                && RequestBodies.TopicsToAutoCreate(header, frame.AsSpan(4)) is { } missing)
            {
                topics.CreateMissing(missing);
            }

            if (RequestBodies.ExpectsResponse(header, frame.AsSpan(4)))
            {
                await _gate.WaitAsync(cancellationToken);
                _pending.Enqueue(new Pending(header, null));
                _gate.Release();
            }

            await upstream.WriteAsync(frame, cancellationToken);
        }
    }

    private async Task AnswerLocallyAsync(RequestHeader header, byte[] response, Stream client, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _pending.Enqueue(new Pending(header, response));
            await FlushLocalAnswersAsync(client, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task RelayResponsesAsync(Stream upstream, Stream client, CancellationToken cancellationToken)
    {
        while (await FrameReader.ReadAsync(upstream, cancellationToken) is { } frame)
        {
            var correlationId = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4));
            await _gate.WaitAsync(cancellationToken);
            try
            {
                var request = await TakePendingAsync(correlationId, client, cancellationToken);
                await client.WriteAsync(request is null ? frame : Rewrite(request.Value, frame), cancellationToken);
                await FlushLocalAnswersAsync(client, cancellationToken);
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    /// <summary>Dequeues the forwarded request this answer belongs to; the gate is held.</summary>
    private async Task<RequestHeader?> TakePendingAsync(int correlationId, Stream client, CancellationToken cancellationToken)
    {
        if (!_pending.Any(p => p.Response is null && p.Header.CorrelationId == correlationId))
        {
            LogUnmatched(logger, correlationId);
            return null;
        }

        while (true)
        {
            var pending = _pending.Dequeue();
            if (pending.Response is not null)
            {
                await client.WriteAsync(pending.Response, cancellationToken);
            }
            else if (pending.Header.CorrelationId == correlationId)
            {
                return pending.Header;
            }
            else
            {
                // A broker answers in order: a request passed over now will never be answered.
                LogUnanswered(logger, pending.Header.ApiKey, pending.Header.CorrelationId);
            }
        }
    }

    /// <summary>Writes the local answers now at the head of the queue; the gate is held.</summary>
    private async Task FlushLocalAnswersAsync(Stream client, CancellationToken cancellationToken)
    {
        while (_pending.TryPeek(out var head) && head.Response is not null)
        {
            _pending.Dequeue();
            await client.WriteAsync(head.Response, cancellationToken);
        }
    }

    private byte[] Rewrite(RequestHeader request, byte[] frame)
    {
        var payload = frame.AsSpan(4);
        try
        {
            return request.ApiKey switch
            {
                ApiKeys.ApiVersions => ApiVersionsRewriter.Rewrite(payload, request.ApiVersion, Caps, Served) ?? frame,
                ApiKeys.Metadata => BrokerAddressRewriter.RewriteMetadata(payload, request.ApiVersion, listener.AdvertisedHost!, listener.AdvertisedPort),
                ApiKeys.FindCoordinator => BrokerAddressRewriter.RewriteFindCoordinator(payload, request.ApiVersion, listener.AdvertisedHost!, listener.AdvertisedPort),
                _ => frame,
            };
        }
        catch (Exception ex) when (ex is InvalidDataException or NotSupportedException)
        {
            LogRewriteFailed(logger, request.ApiKey, request.ApiVersion, ex.Message);
            return frame;
        }
    }

    public void Dispose() => _gate.Dispose();

    private readonly record struct Pending(RequestHeader Header, byte[]? Response);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An answer with correlation id {CorrelationId} matches no request in flight; passed on untouched")]
    private static partial void LogUnmatched(ILogger logger, int correlationId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Request (api key {ApiKey}, correlation id {CorrelationId}) was never answered")]
    private static partial void LogUnanswered(ILogger logger, short apiKey, int correlationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not rewrite the answer to api key {ApiKey} v{ApiVersion} ({Reason}); passed on untouched")]
    private static partial void LogRewriteFailed(ILogger logger, short apiKey, short apiVersion, string reason);
}
