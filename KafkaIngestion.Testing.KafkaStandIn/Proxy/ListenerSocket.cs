using System.Net;
using System.Net.Sockets;

namespace KafkaIngestion.Testing.KafkaStandIn.Proxy;

/// <summary>
/// A bound listener port and its accept loop; each accepted connection is handed to
/// <c>serve</c>, which owns it from then on.
/// </summary>
internal sealed partial class ListenerSocket : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<Socket, CancellationToken, Task> _serve;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _connections = [];
    private readonly Task _acceptLoop;

    private ListenerSocket(TcpListener listener, Func<Socket, CancellationToken, Task> serve, ILogger logger)
    {
        _listener = listener;
        _serve = serve;
        _logger = logger;
        _acceptLoop = AcceptLoopAsync();
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public static async Task<ListenerSocket> BindAsync(string host, int port, Func<Socket, CancellationToken, Task> serve, ILogger logger)
    {
        var listener = new TcpListener(await ResolveAsync(host), port);
        if (listener.LocalEndpoint.AddressFamily == AddressFamily.InterNetworkV6)
        {
            listener.Server.DualMode = true;
        }

        listener.Start();
        return new ListenerSocket(listener, serve, logger);
    }

    /// <summary>Kafka's rules: 0.0.0.0 (or an empty host) binds every interface; a name binds its first address.</summary>
    private static async Task<IPAddress> ResolveAsync(string host)
    {
        if (host.Length == 0)
        {
            return IPAddress.Any;
        }

        if (IPAddress.TryParse(host, out var address))
        {
            return address;
        }

        var addresses = await Dns.GetHostAddressesAsync(host);
        return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? addresses.FirstOrDefault()
            ?? throw new SocketException((int)SocketError.HostNotFound);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            socket.NoDelay = true;
            var connection = ServeAsync(socket);
            lock (_connections)
            {
                _connections.RemoveAll(task => task.IsCompleted);
                _connections.Add(connection);
            }
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        try
        {
            await _serve(socket, _stopping.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidDataException)
        {
            LogConnectionEnded(_logger, LocalEndPoint.Port, ex.Message);
        }
        finally
        {
            socket.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        // Every connection watches the token; a bounded wait keeps shutdown quick regardless.
        await Task.WhenAll(connections).WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection on port {Port} ended: {Reason}")]
    private static partial void LogConnectionEnded(ILogger logger, int port, string reason);
}
