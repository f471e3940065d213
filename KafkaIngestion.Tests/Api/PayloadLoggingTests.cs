using System.Text;
using KafkaIngestion.ServiceDefaults;
using KafkaIngestion.Tests.ServiceDefaults;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace KafkaIngestion.Tests.Api;

/// <summary>
/// The API in the test process with every log line captured at Trace: refused requests' bodies
/// and the API key never reach the logs, unless Telemetry:LogPayloads asks for the bodies.
/// Only refused requests are sent, so no broker is needed (the producer points at port 1).
/// </summary>
public sealed class PayloadLoggingTests
{
    private const string Key = "payload-log-test-key-0123456789";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static readonly (string Path, string ContentType, string Body, string Marker)[] Refused =
    [
        ("/register_event", "application/json", """{"type":"t","data":{"card":"marker-malformed-4111" """, "marker-malformed-4111"),
        ("/register_event", "application/json", """{"data":{"card":"marker-invalid-4222"}}""", "marker-invalid-4222"),
        ("/events", "application/cloudevents-batch+json", """[{"specversion":"1.0","data":"marker-batch-4333"}]""", "marker-batch-4333"),
    ];

    [Fact]
    public async Task NeitherRefusedPayloadsNorTheApiKeyAreLoggedByDefault()
    {
        var logs = await SendRefusedAsync(logPayloads: false);

        Assert.NotEmpty(logs.Lines); // Trace logging did capture the requests
        foreach (var (_, _, _, marker) in Refused)
        {
            Assert.Empty(logs.Containing(marker));
        }

        Assert.Empty(logs.Containing(Key));
    }

    [Fact]
    public async Task WithLogPayloadsEachRefusedBodyIsLoggedOnceAtDebugAndTheKeyStillNot()
    {
        var logs = await SendRefusedAsync(logPayloads: true);

        foreach (var (_, _, _, marker) in Refused)
        {
            var line = Assert.Single(logs.Containing(marker));
            Assert.Equal((PayloadLog.Category, LogLevel.Debug), (line.Category, line.Level));
        }

        Assert.Empty(logs.Containing(Key));
    }

    private static async Task<CapturedLogs> SendRefusedAsync(bool logPayloads)
    {
        var logs = new CapturedLogs();
        await using (var api = new WebApplicationFactory<KafkaIngestion.Api.IngestionGate>().WithWebHostBuilder(host => host
            .UseSetting("ConnectionStrings:kafka", "127.0.0.1:1")
            .UseSetting("Ingestion:ApiKeys:0", Key)
            .UseSetting("Telemetry:LogPayloads", logPayloads ? "true" : "false")
            .UseSetting("Logging:LogLevel:Default", "Trace")
            .ConfigureLogging(logging => logging.AddProvider(logs))))
        {
            using var client = api.CreateClient();
            client.DefaultRequestHeaders.Add("X-Api-Key", Key);
            using var timeout = new CancellationTokenSource(Timeout);
            foreach (var (path, contentType, body, _) in Refused)
            {
                using var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, contentType), timeout.Token);
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            }
        }

        return logs;
    }
}
