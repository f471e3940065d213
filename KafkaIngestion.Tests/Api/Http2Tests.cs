using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace KafkaIngestion.Tests.Api;

/// <summary>
/// HTTP/2: in cleartext with prior knowledge on the API's second endpoint (h2c), and by ALPN
/// where TLS is configured; the same endpoints give the same answers as over HTTP/1.1.
/// </summary>
public sealed class Http2Tests(Http2Tests.ApiFixture fixture) : IClassFixture<Http2Tests.ApiFixture>
{
    private InProcessApi Api => fixture.Api;

    /// <summary>One API (and broker) for the class; batches of more than 3 events are refused.</summary>
    public sealed class ApiFixture : IAsyncLifetime
    {
        public InProcessApi Api { get; private set; } = null!;

        public async Task InitializeAsync() => Api = await InProcessApi.StartAsync(new Dictionary<string, string?> { ["Ingestion:MaxBatchEvents"] = "3" });

        public async Task DisposeAsync() => await Api.DisposeAsync();
    }

    public static TheoryData<string, string, string, string?> Requests => new()
    {
        // name, path, content type, body (null: GET)
        { "simple event", "/register_event", "application/json", """{"type":"h2.test","data":{"n":1}}""" },
        { "invalid simple event", "/register_event", "application/json", """{"data":{"n":1}}""" },
        { "malformed JSON", "/register_event", "application/json", """{"type": """ },
        { "wrong media type", "/register_event", "text/plain", "hello" },
        { "structured CloudEvent", "/events", "application/cloudevents+json", """{"specversion":"1.0","id":"h2-1","type":"h2.test","source":"/tests"}""" },
        { "batch, one invalid", "/events", "application/cloudevents-batch+json",
            """[{"specversion":"1.0","type":"h2.test","source":"/tests"},{"specversion":"1.0","source":"/tests"}]""" },
        { "batch over the limit", "/events", "application/cloudevents-batch+json",
            """[{"specversion":"1.0","type":"a","source":"/t"},{"specversion":"1.0","type":"a","source":"/t"},{"specversion":"1.0","type":"a","source":"/t"},{"specversion":"1.0","type":"a","source":"/t"}]""" },
        { "binary-mode CloudEvent", "/events?binary", "application/json", """{"n":1}""" },
        { "status", "/get_status", "", null },
    };

    [Theory]
    [InlineData("/alive")]
    [InlineData("/health")]
    [InlineData("/openapi/v1.json")]
    [InlineData("/")]
    public async Task EveryOtherEndpointAnswersOverH2cAsOverHttp11(string path)
    {
        using var http1 = Api.Http1Client();
        using var h2c = Api.H2cClient();

        using var overHttp1 = await http1.GetAsync(path);
        using var overH2c = await h2c.GetAsync(path);

        Assert.Equal(HttpVersion.Version20, overH2c.Version);
        Assert.Equal((overHttp1.StatusCode, overHttp1.Content.Headers.ContentType?.MediaType), (overH2c.StatusCode, overH2c.Content.Headers.ContentType?.MediaType));
        if (path != "/openapi/v1.json") // the document names the server it was asked on
        {
            Assert.Equal(await overHttp1.Content.ReadAsByteArrayAsync(), await overH2c.Content.ReadAsByteArrayAsync());
        }
    }

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task EveryEndpointAnswersTheSameOverH2cAsOverHttp11(string name, string path, string contentType, string? body)
    {
        using var http1 = Api.Http1Client();
        using var h2c = Api.H2cClient();

        var (overHttp1, version1) = await SendAsync(http1, path, contentType, body);
        var (overH2c, version2) = await SendAsync(h2c, path, contentType, body);

        Assert.Equal(HttpVersion.Version11, version1);
        Assert.Equal(HttpVersion.Version20, version2);
        Assert.True(overHttp1 == overH2c, $"{name}: HTTP/1.1 answered {overHttp1}, h2c {overH2c}");
    }

    [Fact]
    public async Task WithoutTheKeyH2cIsRefusedLikeHttp11()
    {
        using var h2c = InProcessApi.Client(Api.Http2, HttpVersion.Version20, HttpVersionPolicy.RequestVersionExact);
        h2c.DefaultRequestHeaders.Remove("X-Api-Key");

        using var response = await h2c.PostAsync("/register_event", Json("""{"type":"h2.test"}"""));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task ManyRequestsShareOneH2cConnection()
    {
        // SocketsHttpHandler opens a second HTTP/2 connection only when allowed to; every connection is counted.
        var connections = 0;
        using var counting = InProcessApi.Client(Api.Http2, HttpVersion.Version20, HttpVersionPolicy.RequestVersionExact,
            new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = false,
                ConnectCallback = async (context, cancellationToken) =>
                {
                    Interlocked.Increment(ref connections);
                    var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
                },
            });

        var answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            using var response = await counting.PostAsync("/register_event", Json($"{{\"type\":\"h2.many\",\"data\":{{\"n\":{i}}}}}"));
            return (response.StatusCode, response.Version);
        }));

        Assert.All(answers, a => Assert.Equal((HttpStatusCode.Accepted, HttpVersion.Version20), a));
        Assert.Equal(1, connections);
    }

    [Fact]
    public async Task TheHttp11EndpointDoesNotSpeakH2c()
    {
        // Kestrel cannot tell HTTP/1.1 from HTTP/2 prior knowledge on one cleartext port: hence the second endpoint.
        using var h2cToHttp1 = InProcessApi.Client(Api.Http, HttpVersion.Version20, HttpVersionPolicy.RequestVersionExact);

        await Assert.ThrowsAsync<HttpRequestException>(() => h2cToHttp1.GetAsync("/get_status"));
    }

    [Fact]
    public async Task WhereTlsIsConfiguredHttp2IsNegotiatedByAlpnNextToHttp11OnOnePort()
    {
        using var certificate = SelfSigned();
        await using var api = await InProcessApi.StartAsync(https: certificate);
        var trusted = certificate.Thumbprint;
        SocketsHttpHandler Handler() => new()
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == trusted },
        };
        using var either = InProcessApi.Client(api.Https!, HttpVersion.Version20, HttpVersionPolicy.RequestVersionOrLower, Handler());
        using var http1 = InProcessApi.Client(api.Https!, HttpVersion.Version11, HttpVersionPolicy.RequestVersionExact, Handler());

        using var overH2 = await either.PostAsync("/register_event", Json("""{"type":"tls.test"}"""));
        using var overHttp1 = await http1.PostAsync("/register_event", Json("""{"type":"tls.test"}"""));

        Assert.Equal((HttpStatusCode.Accepted, HttpVersion.Version20), (overH2.StatusCode, overH2.Version));
        Assert.Equal((HttpStatusCode.Accepted, HttpVersion.Version11), (overHttp1.StatusCode, overHttp1.Version));
    }

    /// <summary>The status code and the answer's shape (its JSON property names, recursively), which must not depend on the HTTP version.</summary>
    private static async Task<(string Answer, Version Version)> SendAsync(HttpClient client, string path, string contentType, string? body)
    {
        var binaryMode = path.EndsWith("?binary", StringComparison.Ordinal);
        using var request = new HttpRequestMessage(body is null ? HttpMethod.Get : HttpMethod.Post, binaryMode ? path[..^"?binary".Length] : path)
        {
            Version = client.DefaultRequestVersion,
            VersionPolicy = client.DefaultVersionPolicy,
        };
        if (binaryMode)
        {
            request.Headers.Add("ce-specversion", "1.0");
            request.Headers.Add("ce-id", $"binary-{Guid.NewGuid():N}");
            request.Headers.Add("ce-source", "/tests");
            request.Headers.Add("ce-type", "h2.binary");
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var shape = text.Length == 0 ? "" : Shape(JsonDocument.Parse(text).RootElement);
        return ($"{(int)response.StatusCode} {response.Content.Headers.ContentType?.MediaType} {shape}", response.Version);
    }

    private static string Shape(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "{" + string.Join(",", element.EnumerateObject().Select(p => p.Name + ":" + Shape(p.Value)).Order(StringComparer.Ordinal)) + "}",
        JsonValueKind.Array => "[" + string.Join(",", element.EnumerateArray().Select(Shape)) + "]",
        _ => element.ValueKind.ToString(),
    };

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        // Through PKCS#12, so the private key is usable by SslStream on Linux.
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), null);
    }
}
