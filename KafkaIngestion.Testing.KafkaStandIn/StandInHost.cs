using KafkaIngestion.Testing.KafkaStandIn.Configuration;
using KafkaIngestion.Testing.KafkaStandIn.Proxy;

namespace KafkaIngestion.Testing.KafkaStandIn;

/// <summary>
/// The running stand-in: one mock cluster and a bound socket per listener. Client listeners relay
/// to the mock broker, Kafka-protocol aware (see ProxyConnection); controller listeners only accept and close (nothing of KRaft is served, but
/// the port is held as a real broker would hold it). Tests start it in-process through here.
/// </summary>
internal sealed partial class StandInHost : IAsyncDisposable
{
    public const string Banner = "test double of the apache/kafka image's configuration contract: librdkafka mock cluster, in memory";

    private readonly MockCluster _cluster;
    private readonly List<ListenerSocket> _sockets;

    private StandInHost(MockCluster cluster, List<ListenerSocket> sockets)
    {
        _cluster = cluster;
        _sockets = sockets;
    }

    public static async Task<StandInHost> StartAsync(StandInConfiguration configuration, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        LogBanner(logger, Banner);
        LogIdentity(logger, configuration.NodeId ?? "(unset)", MockCluster.BrokerId, configuration.ClusterId ?? "(unset)", configuration.NumPartitions);
        if (configuration.IgnoredVariables.Count > 0)
        {
            LogIgnored(logger, configuration.IgnoredVariables);
        }

        var cluster = MockCluster.Start();
        var topics = new TopicAdmin(cluster, configuration.NumPartitions, logger);
        var sockets = new List<ListenerSocket>();
        try
        {
            // The default for anything the proxy does not rewrite: the first client listener's address.
            var first = configuration.ClientListeners.First();
            cluster.SetAdvertisedAddress(first.AdvertisedHost!, first.AdvertisedPort);
            foreach (var listener in configuration.Listeners)
            {
                Func<System.Net.Sockets.Socket, CancellationToken, Task> serve = listener.IsController
                    ? (_, _) => Task.CompletedTask
                    : async (socket, token) =>
                    {
                        using var connection = new ProxyConnection(listener, cluster.Broker, topics, logger);
                        await connection.RunAsync(socket, token);
                    };
                sockets.Add(await ListenerSocket.BindAsync(listener.BindHost, listener.Port, serve, logger));
                if (listener.IsController)
                {
                    LogControllerListener(logger, listener.Name, listener.BindHost, listener.Port);
                }
                else
                {
                    LogClientListener(logger, listener.Name, listener.BindHost, listener.Port, listener.Advertised);
                }
            }
        }
        catch
        {
            foreach (var socket in sockets)
            {
                await socket.DisposeAsync();
            }

            cluster.Dispose();
            throw;
        }

        LogReady(logger, cluster.Broker);
        return new StandInHost(cluster, sockets);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var socket in _sockets)
        {
            await socket.DisposeAsync();
        }

        _cluster.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Kafka stand-in: {Banner}")]
    private static partial void LogBanner(ILogger logger, string banner);

    [LoggerMessage(Level = LogLevel.Information, Message = "KAFKA_NODE_ID={NodeId} (the mock broker's id is {BrokerId}), CLUSTER_ID={ClusterId}, KAFKA_NUM_PARTITIONS={NumPartitions}")]
    private static partial void LogIdentity(ILogger logger, string nodeId, int brokerId, string clusterId, int numPartitions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ignored (not part of the contract this stand-in honours): {Variables}")]
    private static partial void LogIgnored(ILogger logger, IReadOnlyList<string> variables);

    [LoggerMessage(Level = LogLevel.Information, Message = "Listener {Name} bound on {Host}:{Port}, advertises {Advertised}")]
    private static partial void LogClientListener(ILogger logger, string name, string host, int port, string advertised);

    [LoggerMessage(Level = LogLevel.Information, Message = "Listener {Name} bound on {Host}:{Port} as a controller listener: connections are accepted and closed, nothing is served")]
    private static partial void LogControllerListener(ILogger logger, string name, string host, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ready; the mock broker itself is at {Broker}")]
    private static partial void LogReady(ILogger logger, System.Net.IPEndPoint broker);
}
