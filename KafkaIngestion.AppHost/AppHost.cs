var builder = DistributedApplication.CreateBuilder(args);

// Infrastructure: one Kafka cluster. Kafka:Mode picks how it is provided (auto, container,
// embedded, external); services see only the "kafka" connection string whichever it is.
var kafka = builder.AddKafka("kafka")
    .WithTopic("events", partitions: builder.Configuration.GetValue("Kafka:Partitions", 6))
    .WithTopic("events.dlq", partitions: 1);

// The key clients send as X-Api-Key: generated once, kept in the AppHost's user secrets
// (Parameters:api-key), shown in the dashboard's parameters.
var apiKey = builder.AddParameter("api-key", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);

// The ingestion API at its public address (http://localhost:5080; HTTP/2 in cleartext and gRPC
// at http://localhost:5082), its key and its web console, which shows how Kafka is provided (and
// warns when it is in memory only).
var api = builder.AddProject<Projects.KafkaIngestion_Api>("api")
    .WithUnproxiedHttpEndpoint(builder.Configuration.GetValue("Api:Port", 5080))
    .WithUnproxiedHttp2Endpoint("grpc", builder.Configuration.GetValue("Api:GrpcPort", 5082))
    .WithEnvironment("Ingestion__ApiKeys__0", apiKey)
    .WithReference(kafka).WaitFor(kafka)
    .WithHttpHealthCheck("/health")
    .WithEnvironment("Console__BrokerMode", kafka.Resource.Mode.ToString().ToLowerInvariant())
    .WithWebConsoleUrl(apiKey);

// Where services keep files (the consumer's SQLite store): DataDirectory, or .data next to the AppHost.
var dataDirectory = Path.GetFullPath(builder.Configuration["DataDirectory"] ?? Path.Combine(builder.AppHostDirectory, ".data"));

// The consumer group worker that stores what the API accepted, each event exactly once:
// in SQLite (a file, the default) or, with Consumer:Store=postgres, in PostgreSQL.
var consumer = builder.AddProject<Projects.KafkaIngestion_Consumer>("consumer")
    .WithEnvironment("Consumer__StorePath", Path.Combine(dataDirectory, "events.db"))
    .WithReplicas(builder.Configuration.GetValue("Consumer:Replicas", 1))
    .WithReference(kafka).WaitFor(kafka)
    .WithHttpHealthCheck("/health")
    .WithReplayCommand()
    .WithReplayFromTimeCommand()
    .WithReprocessDeadLettersCommand();
if (builder.Configuration["Consumer:Store"] == "postgres")
{
    consumer.WithEventsDatabase(builder);
}

// The web console asks the consumer for its throughput, lag and newest events once a second
// while a page is open. Not WaitFor: ingestion does not need the consumer, and the console says
// when it cannot reach it.
api.WithReference(consumer);

// The load generator waits for the dashboard: "Start a load run" asks for the numbers, sends,
// checks with the consumer that nothing was lost, and writes its report under DataDirectory.
var loadgen = builder.AddProject<Projects.KafkaIngestion_LoadGen>("loadgen")
    .WithReference(api).WaitFor(api)
    .WithReference(consumer).WaitFor(consumer)
    .WithEnvironment("LoadGen__Serve", "true")
    .WithEnvironment("LoadGen__TargetUrl", "http://api")
    .WithEnvironment("LoadGen__GrpcTargetUrl", "http://_grpc.api")
    .WithEnvironment("LoadGen__ConsumerUrl", "http://consumer")
    .WithEnvironment("LoadGen__ApiKey", apiKey)
    .WithEnvironment("LoadGen__ReportDirectory", Path.Combine(dataDirectory, "loadgen-reports"))
    .WithHttpHealthCheck("/health")
    .WithLoadRunCommands();

// Telemetry choices and the trace sampler given to the AppHost apply to every service.
builder.ShareTelemetrySettings(api, consumer, loadgen);

builder.Build().Run();
