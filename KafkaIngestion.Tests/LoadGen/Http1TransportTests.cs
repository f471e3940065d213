using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using KafkaIngestion.LoadGen;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace KafkaIngestion.Tests.LoadGen;

/// <summary>
/// The generator's own HTTP/1.1 client against a real Kestrel in the test process (and, for
/// answers Kestrel never gives, a raw socket server). The shared cases run through HttpClient
/// too: both transports must report the same answers and the same kinds of failure.
/// </summary>
public sealed class Http1TransportTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly RequestBody Body = new("{\"type\":\"t\"}"u8.ToArray(), new MediaTypeHeaderValue("application/json"), ["e-1"], IsBatch: false);

    [Theory]
    [InlineData(LoadGenOptions.SocketsClient, 202)]
    [InlineData(LoadGenOptions.SocketsClient, 400)]
    [InlineData(LoadGenOptions.SocketsClient, 503)]
    [InlineData(LoadGenOptions.HttpClientClient, 202)]
    [InlineData(LoadGenOptions.HttpClientClient, 503)]
    public async Task StatusCodesAreReportedAndOneConnectionServesEveryRequest(string client, int status)
    {
        await using var server = await Server.StartAsync();
        using var transport = Transport(client, server.Url);
        using var timeout = new CancellationTokenSource(Timeout);
        server.NextStatus = status;

        for (var i = 0; i < 20; i++)
        {
            var answer = await transport.SendAsync(Body, readBody: false, timeout.Token);
            Assert.Equal(status, answer.StatusCode);
        }

        Assert.Single(server.Connections);
        Assert.Equal(20, server.Requests);
        Assert.Equal("{\"type\":\"t\"}", server.LastBody);
        Assert.Equal("application/json", server.LastContentType);
    }

    [Theory]
    [InlineData(LoadGenOptions.SocketsClient)]
    [InlineData(LoadGenOptions.HttpClientClient)]
    public async Task AChunkedAnswerIsReadWholeAndTheConnectionIsKept(string client)
    {
        await using var server = await Server.StartAsync();
        using var transport = Transport(client, new Uri(server.Url, "/chunked"));
        using var timeout = new CancellationTokenSource(Timeout);

        var first = await transport.SendAsync(Body, readBody: true, timeout.Token);
        var second = await transport.SendAsync(Body, readBody: true, timeout.Token);

        Assert.True(server.SawChunked);
        Assert.Equal(Server.ChunkedAnswer, Encoding.UTF8.GetString(first.Body!));
        Assert.Equal(Server.ChunkedAnswer, Encoding.UTF8.GetString(second.Body!));
        Assert.Single(server.Connections);
    }

    [Theory]
    [InlineData(LoadGenOptions.SocketsClient)]
    [InlineData(LoadGenOptions.HttpClientClient)]
    public async Task AnAnswerWithConnectionCloseIsFollowedByANewConnection(string client)
    {
        await using var server = await Server.StartAsync();
        using var transport = Transport(client, new Uri(server.Url, "/close"));
        using var timeout = new CancellationTokenSource(Timeout);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(202, (await transport.SendAsync(Body, readBody: false, timeout.Token)).StatusCode);
        }

        Assert.Equal(3, server.Connections.Count);
    }

    [Theory]
    [InlineData(LoadGenOptions.SocketsClient)]
    [InlineData(LoadGenOptions.HttpClientClient)]
    public async Task AStalledAnswerTimesOutAndTheNextRequestIsAnswered(string client)
    {
        await using var server = await Server.StartAsync();
        using var slow = Transport(client, new Uri(server.Url, "/stall"), TimeSpan.FromMilliseconds(300));
        using var timeout = new CancellationTokenSource(Timeout);

        var failure = await Assert.ThrowsAsync<TransportException>(async () => await slow.SendAsync(Body, readBody: false, timeout.Token));
        Assert.Equal(TransportException.TimeoutKind, failure.Kind);

        server.StallFor = TimeSpan.Zero;
        Assert.Equal(202, (await slow.SendAsync(Body, readBody: false, timeout.Token)).StatusCode);
    }

    [Theory]
    [InlineData(LoadGenOptions.SocketsClient)]
    [InlineData(LoadGenOptions.HttpClientClient)]
    public async Task A429CarriesItsRetryAfter(string client)
    {
        await using var server = await Server.StartAsync();
        using var transport = Transport(client, new Uri(server.Url, "/busy"));
        using var timeout = new CancellationTokenSource(Timeout);

        var answer = await transport.SendAsync(Body, readBody: false, timeout.Token);

        Assert.Equal(429, answer.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(3), answer.RetryAfter);
    }

    [Theory]
    [InlineData(LoadGenOptions.SocketsClient)]
    [InlineData(LoadGenOptions.HttpClientClient)]
    public async Task ARefusedConnectionIsAConnectionError(string client)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens on the port any more
        using var transport = Transport(client, new Uri($"http://127.0.0.1:{port}/register_event"));
        using var timeout = new CancellationTokenSource(Timeout);

        var failure = await Assert.ThrowsAsync<TransportException>(async () => await transport.SendAsync(Body, readBody: false, timeout.Token));

        Assert.Equal(nameof(HttpRequestError.ConnectionError), failure.Kind);
    }

    [Fact]
    public async Task AKeptAliveConnectionTheServerClosedIsReplacedWithoutAFailure()
    {
        await using var server = await Server.StartAsync(keepAlive: TimeSpan.FromSeconds(1));
        using var transport = Transport(LoadGenOptions.SocketsClient, server.Url);
        using var timeout = new CancellationTokenSource(Timeout);

        Assert.Equal(202, (await transport.SendAsync(Body, readBody: false, timeout.Token)).StatusCode);
        // Kestrel closes idle connections after its keep-alive timeout (checked once a second).
        await Task.Delay(TimeSpan.FromSeconds(3), timeout.Token);
        Assert.Equal(202, (await transport.SendAsync(Body, readBody: false, timeout.Token)).StatusCode);

        Assert.Equal(2, server.Connections.Count);
    }

    [Fact]
    public async Task AnHttp10AnswerWithoutLengthIsReadUntilTheServerCloses()
    {
        await using var server = await RawServer.StartAsync("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"results\":[]}");
        using var transport = Transport(LoadGenOptions.SocketsClient, server.Url);
        using var timeout = new CancellationTokenSource(Timeout);

        var answer = await transport.SendAsync(Body, readBody: true, timeout.Token);

        Assert.Equal(200, answer.StatusCode);
        Assert.Equal("{\"results\":[]}", Encoding.UTF8.GetString(answer.Body!));
        Assert.Contains("Content-Length: 12\r\n", server.Request, StringComparison.Ordinal);
        Assert.Contains("Host: 127.0.0.1:", server.Request, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n{\"type\":\"t\"}", server.Request, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("HTTP/1.1 202 Accepted\r\nContent-Length: 50\r\n\r\n{\"cut\":", nameof(HttpRequestError.ResponseEnded))]
    [InlineData("HTTP/1.1 202 Acc", nameof(HttpRequestError.ResponseEnded))]
    [InlineData("SMTP ready\r\n\r\n", nameof(HttpRequestError.InvalidResponse))]
    [InlineData("HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", nameof(HttpRequestError.InvalidResponse))]
    public async Task ACutOffOrGarbledAnswerIsAFailureOfItsKind(string response, string kind)
    {
        await using var server = await RawServer.StartAsync(response);
        using var transport = Transport(LoadGenOptions.SocketsClient, server.Url);
        using var timeout = new CancellationTokenSource(Timeout);

        var failure = await Assert.ThrowsAsync<TransportException>(async () => await transport.SendAsync(Body, readBody: false, timeout.Token));

        Assert.Equal(kind, failure.Kind);
    }

    [Fact]
    public void StatusLineAndHeadersAreParsedWhateverTheirCase()
    {
        var head = ResponseHead.Parse("HTTP/1.1 503 Service Unavailable\r\ncontent-length: 17\r\nRETRY-AFTER: 7\r\nConnection: Keep-Alive, Close\r\n"u8);

        Assert.Equal(new ResponseHead(503, 17, Chunked: false, Close: true, TimeSpan.FromSeconds(7)), head);
        Assert.Equal(new ResponseHead(200, -1, Chunked: false, Close: true, null), ResponseHead.Parse("HTTP/1.0 200 OK\r\n"u8));
        Assert.False(ResponseHead.Parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"u8).Close);
        Assert.True(ResponseHead.Parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n"u8).Chunked);
        // The date form of Retry-After is left to the caller's backoff.
        Assert.Null(ResponseHead.Parse("HTTP/1.1 429 Too Many\r\nRetry-After: Wed, 21 Oct 2026 07:28:00 GMT\r\n"u8).RetryAfter);
        Assert.Equal(0x1a2b, Http1Connection.ChunkSize("1A2b;name=value"u8));
        Assert.Throws<TransportException>(() => ResponseHead.Parse("HTTP/1.1 20x OK\r\n"u8));
        Assert.Throws<TransportException>(() => ResponseHead.Parse("HTTP/1.1 200 OK\r\nContent-Length: -3\r\n"u8));
    }

    private static ILoadTransport Transport(string client, Uri target, TimeSpan? timeout = null) =>
        LoadTransport.For(target, new LoadGenOptions { Client = client, RequestTimeout = timeout ?? Timeout }, connections: 4);

    /// <summary>Kestrel, counting connections and answering as the path says.</summary>
    private sealed class Server : IAsyncDisposable
    {
        public const string ChunkedAnswer = "{\"results\":[{\"id\":\"e-1\",\"status\":\"accepted\"},{\"id\":\"e-2\",\"status\":\"rejected\"}]}";

        private readonly WebApplication _app;
        private int _requests;

        private Server(WebApplication app) => _app = app;

        public ConcurrentDictionary<string, bool> Connections { get; } = new(StringComparer.Ordinal);

        public int Requests => Volatile.Read(ref _requests);

        public int NextStatus { get; set; } = StatusCodes.Status202Accepted;

        public TimeSpan StallFor { get; set; } = TimeSpan.FromSeconds(5);

        public bool SawChunked { get; private set; }

        public string? LastBody { get; private set; }

        public string? LastContentType { get; private set; }

        public Uri Url => new(new Uri(_app.Urls.First()), "/register_event");

        public static async Task<Server> StartAsync(TimeSpan? keepAlive = null)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.KeepAliveTimeout = keepAlive ?? TimeSpan.FromMinutes(2));
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var server = new Server(app);
            app.Use(async (context, next) =>
            {
                server.Connections.TryAdd(context.Connection.Id, true);
                Interlocked.Increment(ref server._requests);
                using var reader = new StreamReader(context.Request.Body);
                server.LastBody = await reader.ReadToEndAsync(context.RequestAborted);
                server.LastContentType = context.Request.ContentType;
                await next(context);
            });
            app.MapPost("/register_event", () => Results.StatusCode(server.NextStatus));
            app.MapPost("/chunked", async (HttpContext context) =>
            {
                // Written in pieces with no length: Kestrel sends it chunked.
                context.Response.StatusCode = StatusCodes.Status207MultiStatus;
                var half = ChunkedAnswer.Length / 2;
                await context.Response.WriteAsync(ChunkedAnswer[..half]);
                await context.Response.Body.FlushAsync();
                await context.Response.WriteAsync(ChunkedAnswer[half..]);
                server.SawChunked = context.Response.Headers.TransferEncoding == "chunked";
            });
            app.MapPost("/close", (HttpContext context) =>
            {
                context.Response.Headers.Connection = "close";
                return Results.Accepted();
            });
            app.MapPost("/stall", async (CancellationToken aborted) =>
            {
                await Task.Delay(server.StallFor, aborted);
                return Results.Accepted();
            });
            app.MapPost("/busy", (HttpContext context) =>
            {
                context.Response.Headers.RetryAfter = "3";
                return Results.StatusCode(StatusCodes.Status429TooManyRequests);
            });
            await app.StartAsync();
            return server;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }

    /// <summary>Answers one connection with fixed bytes and closes it: answers Kestrel would never give.</summary>
    private sealed class RawServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private Task _serving = Task.CompletedTask;

        public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/register_event");

        public string Request { get; private set; } = "";

        public static Task<RawServer> StartAsync(string response)
        {
            var server = new RawServer();
            server._listener.Start();
            server._serving = server.ServeAsync(Encoding.ASCII.GetBytes(response));
            return Task.FromResult(server);
        }

        private async Task ServeAsync(byte[] response)
        {
            using var timeout = new CancellationTokenSource(Timeout);
            using var client = await _listener.AcceptTcpClientAsync(timeout.Token);
            var stream = client.GetStream();
            var received = new StringBuilder();
            var buffer = new byte[4096];
            // The request: its head, then the body its Content-Length announces.
            while (!received.ToString().Contains("{\"type\":\"t\"}", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    break;
                }

                received.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            Request = received.ToString();
            await stream.WriteAsync(response, timeout.Token);
            client.Client.Shutdown(SocketShutdown.Send);
        }

        public async ValueTask DisposeAsync()
        {
            await _serving;
            _listener.Stop();
            _listener.Dispose();
        }
    }
}
