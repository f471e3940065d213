using Confluent.Kafka;
using KafkaIngestion.Consumer;
using KafkaIngestion.EmbeddedKafka;
using KafkaIngestion.ServiceDefaults;
using KafkaIngestion.Tests.ServiceDefaults;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Tests.Consumer;

/// <summary>
/// The dead-letter writer against an embedded broker in the test process: the record's value
/// reaches the logs only with Telemetry:LogPayloads, while the warning naming the record always does.
/// </summary>
public sealed class DeadLetterPayloadLogTests
{
    private const string Marker = "marker-dead-letter-4444";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ADeadLetteredRecordsValueIsLoggedOnlyWithLogPayloads(bool logPayloads)
    {
        await using var broker = EmbeddedKafkaBroker.Start([new KafkaTopic("events.dlq", 1)], 0, NullLogger.Instance);
        using var producer = new ProducerBuilder<string?, byte[]>(new ProducerConfig { BootstrapServers = broker.BootstrapServers, MessageTimeoutMs = 10_000 }).Build();
        var logs = new CapturedLogs();
        using var loggerFactory = LoggerFactory.Create(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var writer = new DeadLetterWriter(producer, Options.Create(new ConsumerOptions()),
            new PayloadLog(Options.Create(new TelemetryOptions { LogPayloads = logPayloads }), loggerFactory),
            loggerFactory.CreateLogger<DeadLetterWriter>());
        var record = new ConsumeResult<string?, byte[]>
        {
            Topic = "events",
            Partition = 2,
            Offset = 7,
            Message = new Message<string?, byte[]> { Key = "k", Value = System.Text.Encoding.UTF8.GetBytes($"{{\"card\":\"{Marker}\"}}"), Headers = [] },
        };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        writer.Write(KafkaIngestion.Consumer.Consuming.RecordCopy.Of(record), "missing header ce_id", attempts: 1, DateTimeOffset.UtcNow, timeout.Token);

        Assert.Contains(logs.Lines, line => line.Level == LogLevel.Warning && line.Message.Contains("moved to the dead-letter topic", StringComparison.Ordinal));
        var payloadLines = logs.Containing(Marker);
        if (logPayloads)
        {
            var line = Assert.Single(payloadLines);
            Assert.Equal((PayloadLog.Category, LogLevel.Debug), (line.Category, line.Level));
            Assert.Contains("events [[2]] @7", line.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Empty(payloadLines);
        }
    }
}
