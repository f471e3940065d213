using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using KafkaIngestion.EmbeddedKafka;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaIngestion.Tests.Api;

/// <summary>
/// The API in the test process on real Kestrel sockets (not the in-memory test server, which
/// has no HTTP versions), with both endpoints of its appsettings (HTTP/1.1 and cleartext
/// HTTP/2) moved to free loopback ports, writing to an embedded broker of its own.
/// </summary>
public sealed class InProcessApi : IAsyncDisposable
{
    public const string Key = "in-process-api-key-0123456789";

    private readonly WebApplicationFactory<KafkaIngestion.Api.IngestionGate> _factory;

    private InProcessApi(EmbeddedKafkaBroker broker, WebApplicationFactory<KafkaIngestion.Api.IngestionGate> factory, Uri http, Uri http2, Uri? https)
    {
        Broker = broker;
        _factory = factory;
        Http = http;
        Http2 = http2;
        Https = https;
    }

    public EmbeddedKafkaBroker Broker { get; }

    /// <summary>The HTTP/1.1 endpoint (Kestrel:Endpoints:http).</summary>
    public Uri Http { get; }

    /// <summary>The cleartext HTTP/2 endpoint, gRPC's (Kestrel:Endpoints:grpc).</summary>
    public Uri Http2 { get; }

    /// <summary>An HTTPS endpoint with Kestrel's default protocols, when one was asked for.</summary>
    public Uri? Https { get; }

    public IServiceProvider Services => _factory.Services;

    /// <param name="settings">More configuration, e.g. Ingestion:MaxBatchEvents.</param>
    /// <param name="https">Also an HTTPS endpoint with this certificate.</param>
    public static async Task<InProcessApi> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, X509Certificate2? https = null)
    {
        var broker = EmbeddedKafkaBroker.Start([new KafkaTopic("events", 3)], 0, NullLogger.Instance);
        var (httpPort, http2Port, httpsPort) = (FreePort(), FreePort(), FreePort());
        var factory = new WebApplicationFactory<KafkaIngestion.Api.IngestionGate>().WithWebHostBuilder(host =>
        {
            host.UseSetting("ConnectionStrings:kafka", broker.BootstrapServers)
                .UseSetting("Ingestion:ApiKeys:0", Key)
                .UseSetting("WarmUp:Enabled", "false")
                .UseSetting("Kestrel:Endpoints:http:Url", $"http://127.0.0.1:{httpPort}")
                .UseSetting("Kestrel:Endpoints:grpc:Url", $"http://127.0.0.1:{http2Port}");
            if (https is not null)
            {
                host.UseSetting("Kestrel:Endpoints:https:Url", $"https://127.0.0.1:{httpsPort}");
            }

            foreach (var (name, value) in settings ?? new Dictionary<string, string?>())
            {
                host.UseSetting(name, value);
            }
        });
        factory.UseKestrel(kestrel =>
        {
            if (https is not null)
            {
                kestrel.ConfigureHttpsDefaults(options => options.ServerCertificate = https);
            }
        });
        try
        {
            factory.StartServer();
        }
        catch
        {
            await factory.DisposeAsync();
            await broker.DisposeAsync();
            throw;
        }

        return new InProcessApi(broker, factory, new Uri($"http://127.0.0.1:{httpPort}"), new Uri($"http://127.0.0.1:{http2Port}"),
            https is null ? null : new Uri($"https://127.0.0.1:{httpsPort}"));
    }

    /// <summary>A client of the HTTP/1.1 endpoint, with the key.</summary>
    public HttpClient Http1Client() => Client(Http, HttpVersion.Version11, HttpVersionPolicy.RequestVersionExact);

    /// <summary>A client that speaks HTTP/2 with prior knowledge (h2c) to the HTTP/2 endpoint, with the key.</summary>
    public HttpClient H2cClient() => Client(Http2, HttpVersion.Version20, HttpVersionPolicy.RequestVersionExact);

    public static HttpClient Client(Uri baseAddress, Version version, HttpVersionPolicy policy, HttpMessageHandler? handler = null)
    {
        var client = new HttpClient(handler ?? new SocketsHttpHandler())
        {
            BaseAddress = baseAddress,
            DefaultRequestVersion = version,
            DefaultVersionPolicy = policy,
            Timeout = TimeSpan.FromSeconds(30),
        };
        client.DefaultRequestHeaders.Add("X-Api-Key", Key);
        return client;
    }

    /// <summary>A gRPC channel to the HTTP/2 endpoint (h2c), sending the key in x-api-key unless told not to.</summary>
    public Grpc.Net.Client.GrpcChannel Channel(string? key = Key) => Grpc.Net.Client.GrpcChannel.ForAddress(Http2, new Grpc.Net.Client.GrpcChannelOptions
    {
        Credentials = Grpc.Core.ChannelCredentials.Create(Grpc.Core.ChannelCredentials.Insecure, Grpc.Core.CallCredentials.FromInterceptor((_, metadata) =>
        {
            if (key is not null)
            {
                metadata.Add("x-api-key", key);
            }

            return Task.CompletedTask;
        })),
        UnsafeUseInsecureChannelCallCredentials = true,
        MaxReceiveMessageSize = null,
    });

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
        await Broker.DisposeAsync();
    }
}
