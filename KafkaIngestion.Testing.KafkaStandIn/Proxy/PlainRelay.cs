using System.Net;
using System.Net.Sockets;

namespace KafkaIngestion.Testing.KafkaStandIn.Proxy;

/// <summary>Relays a client connection byte for byte to the mock broker.</summary>
internal static class PlainRelay
{
    public static async Task ServeAsync(Socket client, IPEndPoint broker, CancellationToken cancellationToken)
    {
        using var upstream = new Socket(broker.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await upstream.ConnectAsync(broker, cancellationToken);
        using var clientStream = new NetworkStream(client, ownsSocket: false);
        using var upstreamStream = new NetworkStream(upstream, ownsSocket: false);
        // When either side closes, the other is closed too (by the usings and the listener).
        await Task.WhenAny(
            clientStream.CopyToAsync(upstreamStream, cancellationToken),
            upstreamStream.CopyToAsync(clientStream, cancellationToken));
    }
}
