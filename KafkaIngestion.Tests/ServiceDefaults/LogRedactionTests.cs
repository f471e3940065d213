using System.Text;
using Confluent.Kafka;
using KafkaIngestion.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Tests.ServiceDefaults;

/// <summary>No payloads or secrets in the logs unless Telemetry:LogPayloads says so.</summary>
public sealed class LogRedactionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public void PayloadsAreNotLoggedByDefaultEvenWithDebugLogging()
    {
        var logs = new CapturedLogs();
        using var factory = LoggerFactory.Create(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var payloads = new PayloadLog(Options.Create(new TelemetryOptions()), factory);

        payloads.Refused("invalid_event", "{\"card\":\"4111-secret\"}"u8);
        payloads.DeadLettered("events [[0]] @7", "missing header ce_id", "4111-secret"u8);

        Assert.False(payloads.Enabled);
        Assert.Empty(logs.Lines);
    }

    [Fact]
    public void WithLogPayloadsRefusedAndDeadLetteredPayloadsAreLoggedAtDebug()
    {
        var logs = new CapturedLogs();
        using var factory = LoggerFactory.Create(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var payloads = new PayloadLog(Options.Create(new TelemetryOptions { LogPayloads = true }), factory);

        payloads.Refused("malformed_json", "{\"card\":"u8);
        payloads.DeadLettered("events [[0]] @7", "missing header ce_id", "not an event"u8);

        Assert.All(logs.Lines, line => Assert.Equal((PayloadLog.Category, LogLevel.Debug), (line.Category, line.Level)));
        Assert.Equal("Refused request (malformed_json), body of 8 bytes: {\"card\":", logs.Lines.First().Message);
        Assert.Equal("Dead-lettered record events [[0]] @7 (missing header ce_id), value of 12 bytes: not an event", logs.Lines.Last().Message);
    }

    [Fact]
    public void ALongPayloadIsCutAfterFourKilobytes()
    {
        var payload = Encoding.UTF8.GetBytes(new string('x', PayloadLog.MaxLoggedBytes) + "TAIL");

        var logged = PayloadLog.Describe(payload);

        Assert.StartsWith(new string('x', PayloadLog.MaxLoggedBytes), logged, StringComparison.Ordinal);
        Assert.DoesNotContain("TAIL", logged, StringComparison.Ordinal);
        Assert.EndsWith("(4 more bytes not logged)", logged, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("false", false)]
    [InlineData("true", true)]
    public void TheOneSwitchAlsoLetsThePayloadCategoryLogAtDebug(string? logPayloads, bool enabled)
    {
        // The services log at Information by default: the switch alone must be enough.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Information).AddProvider(new CapturedLogs());
        if (logPayloads is not null)
        {
            builder.Configuration["Telemetry:LogPayloads"] = logPayloads;
        }

        builder.AddServiceDefaults();
        using var host = builder.Build();

        Assert.Equal(enabled, host.Services.GetRequiredService<PayloadLog>().Enabled);
    }

    [Theory]
    [InlineData("http://loadgen:hunter2@api:8080/events", "http://api:8080/events")]
    [InlineData("http://api:8080/", "http://api:8080/")]
    public void AnAddressIsLoggedWithoutItsUserInfo(string address, string logged)
    {
        Assert.Equal(logged, LogRedaction.WithoutUserInfo(new Uri(address)));
    }

    [Fact]
    public async Task LibrdkafkaNeverLogsTheSaslPasswordEvenWhenAskedToPrintItsConfiguration()
    {
        // debug=conf makes librdkafka print its whole configuration at start (our services never
        // set it; someone debugging might): the SASL password in the connection string must not appear.
        var logs = await CaptureProducerLogsAsync(debug: "conf,security", until: line => line.Message.Contains("sasl.password", StringComparison.Ordinal));

        Assert.Contains(logs.Lines, line => line.Message.Contains("sasl.password = [redacted]", StringComparison.Ordinal));
        Assert.Empty(logs.Containing("hunter2-kafka"));
    }

    [Fact]
    public async Task WithoutADebugSettingLibrdkafkaPrintsNoConfiguration()
    {
        // The connection failure proves librdkafka's lines reach the log; none of them is configuration.
        var logs = await CaptureProducerLogsAsync(debug: null, until: line => line.Message.Contains("Connection refused", StringComparison.Ordinal));

        Assert.DoesNotContain(logs.Lines, line => line.Message.Contains("librdkafka CONF", StringComparison.Ordinal));
        Assert.Empty(logs.Containing("sasl.username"));
        Assert.Empty(logs.Containing("hunter2-kafka"));
    }

    private static async Task<CapturedLogs> CaptureProducerLogsAsync(string? debug, Func<CapturedLogs.Line, bool> until)
    {
        var logs = new CapturedLogs();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Trace).AddProvider(logs);
        // An external cluster's connection string with credentials, as the AppHost hands it over;
        // nothing listens on port 1, so no credentials ever leave the process either.
        builder.Configuration["ConnectionStrings:kafka"] = KafkaIngestion.ServiceDefaults.Kafka.KafkaConnectionString.Format([
            new("bootstrap.servers", "127.0.0.1:1"),
            new("security.protocol", "SASL_PLAINTEXT"),
            new("sasl.mechanism", "PLAIN"),
            new("sasl.username", "ingest"),
            new("sasl.password", "hunter2-kafka")]);
        builder.Configuration["Kafka:Producer:DisableHealthChecks"] = "true";
        if (debug is not null)
        {
            builder.Configuration["Kafka:Producer:Config:debug"] = debug;
        }

        builder.AddKafkaProducer<Null, Null>("kafka");
        using var host = builder.Build();
        host.Services.GetRequiredService<IProducer<Null, Null>>();
        using var deadline = new CancellationTokenSource(Timeout);
        while (!logs.Lines.Any(until))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), deadline.Token);
        }

        return logs;
    }
}
