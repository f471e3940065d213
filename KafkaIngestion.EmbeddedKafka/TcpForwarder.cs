using System.Net;
using System.Net.Sockets;

namespace KafkaIngestion.EmbeddedKafka;

/// <summary>
/// Listens on a fixed loopback port and relays each connection to the embedded broker's own
/// port, which the operating system picks. It gives Kafka tools (kcat) a documented bootstrap
/// address; after bootstrap, clients talk to the broker's advertised address directly.
/// </summary>
internal sealed partial class TcpForwarder : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _acceptLoop;

    private TcpForwarder(TcpListener listener, IPEndPoint target, ILogger logger)
    {
        _listener = listener;
        _target = target;
        _logger = logger;
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <returns>The forwarder, or null when the port is taken (logged; the broker still works).</returns>
    public static TcpForwarder? TryStart(int port, IPEndPoint target, ILogger logger)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
        }
        catch (SocketException ex)
        {
            LogPortUnavailable(logger, port, ex.SocketErrorCode);
            return null;
        }

        return new TcpForwarder(listener, target, logger);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var upstream = new TcpClient { NoDelay = true })
        {
            client.NoDelay = true;
            try
            {
                await upstream.ConnectAsync(_target, _stopping.Token);
                var downstreamStream = client.GetStream();
                var upstreamStream = upstream.GetStream();
                // When either side closes, the other is closed too (by the usings).
                await Task.WhenAny(
                    downstreamStream.CopyToAsync(upstreamStream, _stopping.Token),
                    upstreamStream.CopyToAsync(downstreamStream, _stopping.Token));
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                LogRelayEnded(_logger, ex.Message);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Port {Port} is taken ({Error}): Kafka tools must use the broker's own address instead")]
    private static partial void LogPortUnavailable(ILogger logger, int port, SocketError error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Forwarded connection ended: {Reason}")]
    private static partial void LogRelayEnded(ILogger logger, string reason);
}
