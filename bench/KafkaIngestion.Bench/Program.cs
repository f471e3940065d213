using System.Text.Json;
using Confluent.Kafka;
using KafkaIngestion.EmbeddedKafka;
using KafkaIngestion.Events;

// bench/run.sh starts this twice:
//   broker --port N   the embedded Kafka broker, alone in its process, until stopped
//   bare --urls URL   a bare Kestrel endpoint that parses the same JSON and answers 202:
//                     the most requests per second this machine can serve, for comparison
//   store --events N  the consumer's SQLite store alone, no Kafka: its own ceiling
//                    [--synchronous FULL|NORMAL]
//   consume --bootstrap B --events N
//                     the consumer's read path alone (its consumer settings, every record read
//                     as an event), no store: the most events per second reading allows
//   records --events N the managed cost of turning an event into a record in each content mode
//                     (ToMessage, and TryRead of the result), no Kafka: ns and bytes allocated per record
//   produce --bootstrap B --events N [--plain | --structured] [--prebuilt]
//                     the API's records (same headers, same producer settings) written with
//                     no HTTP at all: the most events per second the Kafka client path allows;
//                     --plain writes key and value only, no headers: the client's bare ceiling;
//                     --structured writes them in CloudEvents structured mode (one header);
//                     --prebuilt builds every record before the clock starts: what is left is
//                     Confluent.Kafka's and librdkafka's own cost per record
//   bodies --out DIR [--batch N]
//                     the batch of bench/events_batch.lua in each content coding, and 1 GiB
//                     decompression bombs, as files for bench/compress.sh
var mode = args.FirstOrDefault();
return mode switch
{
    "broker" => await RunBrokerAsync(args),
    "bare" => await RunBareAsync(args),
    "produce" => await RunProduceAsync(args),
    "store" => RunStore(args),
    "consume" => RunConsume(args),
    "records" => RunRecords(args),
    "bodies" => Bodies.Write(ArgAfter(args, "--out") ?? "bench/results/bodies",
        int.Parse(ArgAfter(args, "--batch") ?? "1000", System.Globalization.CultureInfo.InvariantCulture)),
    _ => Usage(),
};

static async Task<int> RunBrokerAsync(string[] args)
{
    var port = int.Parse(ArgAfter(args, "--port") ?? "19092", System.Globalization.CultureInfo.InvariantCulture);
    var partitions = int.Parse(ArgAfter(args, "--partitions") ?? "6", System.Globalization.CultureInfo.InvariantCulture);
    using var loggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole(o => o.SingleLine = true));
    var logger = loggerFactory.CreateLogger("broker");

    await using var broker = EmbeddedKafkaBroker.Start([new KafkaTopic("events", partitions), new KafkaTopic("events.dlq", 1)], port, logger);
    Console.WriteLine($"BOOTSTRAP={broker.BootstrapServers}");

    var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; stopped.TrySetResult(); };
    AppDomain.CurrentDomain.ProcessExit += (_, _) => stopped.TrySetResult();
    await stopped.Task;
    return 0;
}

static async Task<int> RunBareAsync(string[] args)
{
    var builder = WebApplication.CreateSlimBuilder(args);
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    var app = builder.Build();
    app.MapPost("/register_event", async (HttpRequest request, CancellationToken cancellationToken) =>
    {
        var body = await JsonSerializer.DeserializeAsync(request.Body, EventsJsonContext.Default.RegisterEventRequest, cancellationToken);
        return body?.Type is null ? Results.BadRequest() : Results.StatusCode(StatusCodes.Status202Accepted);
    });
    await app.RunAsync();
    return 0;
}

static async Task<int> RunProduceAsync(string[] args)
{
    var bootstrap = ArgAfter(args, "--bootstrap") ?? "localhost:19092";
    var count = int.Parse(ArgAfter(args, "--events") ?? "1000000", System.Globalization.CultureInfo.InvariantCulture);
    var plain = args.Contains("--plain");
    var mode = args.Contains("--structured") ? KafkaContentMode.Structured : KafkaContentMode.Binary;
    var prebuilt = args.Contains("--prebuilt");
    var config = new ProducerConfig
    {
        BootstrapServers = bootstrap,
        Acks = Acks.All,
        EnableIdempotence = true,
        CompressionType = CompressionType.Lz4,
        LingerMs = 1,
        DeliveryReportFields = "status",
        QueueBufferingMaxMessages = 500_000,
    };
    ApplySettings(config, args);

    using var producer = new ProducerBuilder<string?, byte[]>(config).Build();
    var data = """{"orderId":1001,"amount":25.5,"currency":"EUR"}"""u8.ToArray();
    var now = DateTimeOffset.UtcNow;

    // Events are built the way the API builds them, but outside the timed loop's HTTP parsing.
    Message<string?, byte[]> Record(int i)
    {
        var ingestEvent = new IngestEvent(Guid.CreateVersion7().ToString(), "order.created", "urn:bench", $"customer-{i % 1000}", now, data);
        return plain
            ? new Message<string?, byte[]> { Key = ingestEvent.Key, Value = data }
            : CloudEventKafkaBinding.ToMessage(ingestEvent, mode);
    }

    var records = prebuilt ? Enumerable.Range(0, count).Select(Record).ToArray() : null;
    var stopwatch = System.Diagnostics.Stopwatch.StartNew();
    var delivered = 0L;
    var failed = 0L;
    // Completed on librdkafka's poll thread: the rest of this method (which disposes the
    // producer and so waits for that thread) must not run on it.
    var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    for (var i = 0; i < count; i++)
    {
        var message = records?[i] ?? Record(i);
        while (true)
        {
            try
            {
                producer.Produce("events", message, report =>
                {
                    if (report.Error.IsError)
                    {
                        Interlocked.Increment(ref failed);
                    }

                    if (Interlocked.Increment(ref delivered) == count)
                    {
                        done.TrySetResult();
                    }
                });
                break;
            }
            catch (ProduceException<string?, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(1));
            }
        }
    }

    await done.Task;
    stopwatch.Stop();
    var what = plain ? "plain records (no headers)" : $"events, {mode.ToString().ToLowerInvariant()} mode";
    Console.WriteLine($"PRODUCED={count / stopwatch.Elapsed.TotalSeconds:F0} events/s ({count} {what}{(prebuilt ? ", built before timing" : "")}, {failed} failed, {stopwatch.Elapsed.TotalSeconds:F2} s)");
    return failed == 0 ? 0 : 1;
}

static int RunStore(string[] args)
{
    var count = int.Parse(ArgAfter(args, "--events") ?? "300000", System.Globalization.CultureInfo.InvariantCulture);
    var directory = Directory.CreateTempSubdirectory("store-bench-");
    var options = new KafkaIngestion.Consumer.ConsumerOptions
    {
        StorePath = Path.Combine(directory.FullName, "events.db"),
        SqliteSynchronous = ArgAfter(args, "--synchronous") ?? "FULL",
    };
    using (var store = new KafkaIngestion.Consumer.Storage.SqliteEventStore(Microsoft.Extensions.Options.Options.Create(options), TimeProvider.System))
    {
        var data = """{"orderId":1001,"amount":25.5,"currency":"EUR"}"""u8.ToArray();
        var batches = Enumerable.Range(0, count / options.BatchSize).Select(b => Enumerable.Range(b * options.BatchSize, options.BatchSize)
            .Select(i => new KafkaIngestion.Consumer.Storage.ConsumedEvent(
                new IngestEvent(Guid.CreateVersion7().ToString(), "order.created", "urn:bench", $"customer-{i % 1000}", DateTimeOffset.UtcNow, data),
                i % 6, i)).ToList()).ToList();
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        foreach (var batch in batches)
        {
            store.Store(batch);
        }

        stopwatch.Stop();
        Console.WriteLine($"STORED={count / stopwatch.Elapsed.TotalSeconds:F0} events/s ({count} events in batches of {options.BatchSize}, synchronous={options.SqliteSynchronous}, {stopwatch.Elapsed.TotalSeconds:F2} s)");
    }

    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    directory.Delete(recursive: true);
    return 0;
}

static int RunConsume(string[] args)
{
    var bootstrap = ArgAfter(args, "--bootstrap") ?? "localhost:19092";
    var count = int.Parse(ArgAfter(args, "--events") ?? "300000", System.Globalization.CultureInfo.InvariantCulture);
    var config = new ConsumerConfig { BootstrapServers = bootstrap };
    KafkaIngestion.Consumer.ConsumerDefaults.Configure(config);
    // A group of its own, so the drain that may follow still finds every record unread.
    config.GroupId = "bench-read-" + Guid.NewGuid().ToString("N");
    ApplySettings(config, args);

    using var consumer = new ConsumerBuilder<string?, byte[]>(config).Build();
    consumer.Subscribe("events");
    int read = 0, invalid = 0;
    System.Diagnostics.Stopwatch? stopwatch = null;
    var cpuAtStart = TimeSpan.Zero;
    var deadline = DateTime.UtcNow.AddMinutes(2);
    while (read < count && DateTime.UtcNow < deadline)
    {
        if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is not { IsPartitionEOF: false } record)
        {
            continue;
        }

        // Timed from the first record: group join and the first fetch are not reading.
        if (stopwatch is null)
        {
            stopwatch = System.Diagnostics.Stopwatch.StartNew();
            cpuAtStart = Environment.CpuUsage.TotalTime;
        }

        read++;
        if (!CloudEventKafkaBinding.TryRead(record.Message, out _, out _))
        {
            invalid++;
        }
    }

    var seconds = stopwatch?.Elapsed.TotalSeconds ?? 0;
    var cpu = (Environment.CpuUsage.TotalTime - cpuAtStart).TotalSeconds;
    consumer.Close();
    Console.WriteLine($"READ={(read - 1) / Math.Max(seconds, 1e-9):F0} events/s ({read} events, {invalid} invalid, {seconds:F2} s, process CPU {cpu:F2} s)");
    return read == count && invalid == 0 ? 0 : 1;
}

static int RunRecords(string[] args)
{
    var count = int.Parse(ArgAfter(args, "--events") ?? "1000000", System.Globalization.CultureInfo.InvariantCulture);
    var data = """{"orderId":1001,"amount":25.5,"currency":"EUR"}"""u8.ToArray();
    var events = Enumerable.Range(0, count)
        .Select(i => new IngestEvent(Guid.CreateVersion7().ToString(), "order.created", "urn:bench", $"customer-{i % 1000}", DateTimeOffset.UtcNow, data))
        .ToArray();
    foreach (var mode in Enum.GetValues<KafkaContentMode>())
    {
        var messages = new Message<string?, byte[]>[count];
        for (var round = 0; round < 2; round++) // the first warms up (tiered JIT)
        {
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var stopwatch = System.Diagnostics.Stopwatch.StartNew();
            for (var i = 0; i < count; i++)
            {
                messages[i] = CloudEventKafkaBinding.ToMessage(events[i], mode);
            }

            var write = stopwatch.Elapsed;
            var writeBytes = GC.GetAllocatedBytesForCurrentThread() - allocated;
            var invalid = 0;
            stopwatch.Restart();
            foreach (var message in messages)
            {
                invalid += CloudEventKafkaBinding.TryRead(message, out _, out _) ? 0 : 1;
            }

            var read = stopwatch.Elapsed;
            if (round == 1)
            {
                var size = messages.Average(m => m.Value.Length + m.Headers.Sum(h => h.Key.Length + h.GetValueBytes().Length));
                Console.WriteLine($"RECORDS {mode}: ToMessage {write.TotalNanoseconds / count:F0} ns, {writeBytes / count} B allocated; TryRead {read.TotalNanoseconds / count:F0} ns; "
                    + $"{messages[0].Headers.Count} header(s), {size:F0} B of value and headers per record; {invalid} unreadable");
            }
        }
    }

    return 0;
}

// --set name=value (repeatable): a librdkafka setting to try against the defaults.
static void ApplySettings(ClientConfig config, string[] args)
{
    foreach (var setting in args.Zip(args.Skip(1)).Where(p => p.First == "--set").Select(p => p.Second.Split('=', 2)))
    {
        config.Set(setting[0], setting[1]);
    }
}

static string? ArgAfter(string[] args, string name) =>
    args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

static int Usage()
{
    Console.Error.WriteLine("usage: KafkaIngestion.Bench broker [--port N] [--partitions N] | bare --urls URL | store [--events N] | consume --bootstrap B [--events N] [--set name=value] | records [--events N] | produce --bootstrap B [--events N] [--plain | --structured] [--prebuilt] [--set name=value] | bodies --out DIR [--batch N]");
    return 2;
}
