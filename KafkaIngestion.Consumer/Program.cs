using KafkaIngestion.Consumer;
using KafkaIngestion.Consumer.Storage;
using KafkaIngestion.ConsumerApi;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.Services.AddProblemDetails();
builder.Services.ConfigureHttpJsonOptions(options =>
{
    options.SerializerOptions.TypeInfoResolverChain.Insert(0, ConsumerJsonContext.Default);
    options.SerializerOptions.TypeInfoResolverChain.Insert(1, ConsumerApiJsonContext.Default);
});

builder.Services.AddOptions<ConsumerOptions>()
    .BindConfiguration(ConsumerOptions.Section)
    .ValidateDataAnnotations()
    .ValidateOnStart();
// Shutdown drains the store queue for up to Consumer:DrainTimeout before it commits and leaves
// the group: the host must wait longer than that, or it disposes the worker under that drain.
builder.Services.AddOptions<HostOptions>().Configure<Microsoft.Extensions.Options.IOptions<ConsumerOptions>>((host, consumer) =>
    host.ShutdownTimeout = consumer.Value.DrainTimeout + TimeSpan.FromSeconds(15));

builder.AddKafkaConsumer<string?, byte[]>("kafka", ConsumerDefaults.Configure,
    (services, consumer) => consumer
        .SetPartitionsRevokedHandler((revokedFrom, partitions) =>
            services.GetRequiredService<EventConsumerWorker>().OnPartitionsRevoked(revokedFrom, partitions))
        .SetPartitionsLostHandler((_, partitions) =>
            services.GetRequiredService<EventConsumerWorker>().OnPartitionsLost(partitions)));
// The dead-letter producer is as careful as the API's: acks from all replicas, no duplicates.
builder.AddKafkaProducer<string?, byte[]>("kafka", (_, config) =>
{
    config.Acks = Confluent.Kafka.Acks.All;
    config.EnableIdempotence = true;
});

builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<ConsumerCounters>();
builder.Services.AddSingleton<ConsumerMetrics>();
builder.Services.AddSingleton<RecentEvents>();
builder.Services.AddSingleton<ConsumerLoopState>();
builder.Services.AddSingleton<ReplayRequests>();
builder.Services.AddSingleton<DeadLetterWriter>();
builder.Services.AddSingleton<DeadLetterReprocessor>();
if (builder.Configuration.GetValue(ConsumerOptions.Section + ":" + nameof(ConsumerOptions.Store), ConsumerOptions.SqliteStore) == ConsumerOptions.PostgresStore)
{
    // Aspire's client integration: pooled data source, health check and telemetry.
    builder.AddNpgsqlDataSource("events-db");
    builder.Services.AddSingleton<IEventStore, PostgresEventStore>();
}
else
{
    builder.Services.AddSingleton<IEventStore, SqliteEventStore>();
}
builder.Services.AddSingleton<EventConsumerWorker>();
builder.Services.AddHostedService(services => services.GetRequiredService<EventConsumerWorker>());
builder.Services.AddHealthChecks()
    .AddCheck<ConsumerLoopState.HealthCheck>("consume-loop", tags: ["ready"]);

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapConsumerStatusApi();
app.MapDefaultEndpoints();

app.Run();
