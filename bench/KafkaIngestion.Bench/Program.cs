using System.Text.Json;
using KafkaIngestion.EmbeddedKafka;
using KafkaIngestion.Events;

// bench/run.sh starts this twice:
//   broker --port N   the embedded Kafka broker, alone in its process, until stopped
//   bare --urls URL   a bare Kestrel endpoint that parses the same JSON and answers 202:
//                     the most requests per second this machine can serve, for comparison
var mode = args.FirstOrDefault();
return mode switch
{
    "broker" => await RunBrokerAsync(args),
    "bare" => await RunBareAsync(args),
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

    var stopped = new TaskCompletionSource();
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

static string? ArgAfter(string[] args, string name) =>
    args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

static int Usage()
{
    Console.Error.WriteLine("usage: KafkaIngestion.Bench broker [--port N] [--partitions N] | bare --urls URL");
    return 2;
}
