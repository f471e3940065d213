using KafkaIngestion.Consumer;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.Services.AddProblemDetails();
builder.Services.ConfigureHttpJsonOptions(options =>
    options.SerializerOptions.TypeInfoResolverChain.Insert(0, ConsumerJsonContext.Default));

builder.Services.AddOptions<ConsumerOptions>()
    .BindConfiguration(ConsumerOptions.Section)
    .ValidateDataAnnotations()
    .ValidateOnStart();

builder.AddKafkaConsumer<string?, byte[]>("kafka", EventConsumerWorker.ConfigureConsumerDefaults);
// The dead-letter producer is as careful as the API's: acks from all replicas, no duplicates.
builder.AddKafkaProducer<string?, byte[]>("kafka", (_, config) =>
{
    config.Acks = Confluent.Kafka.Acks.All;
    config.EnableIdempotence = true;
});

builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<ProcessedEventLog>();
builder.Services.AddSingleton<ConsumerLoopState>();
builder.Services.AddSingleton<DeadLetterWriter>();
builder.Services.AddHostedService<EventConsumerWorker>();
builder.Services.AddHealthChecks()
    .AddCheck<ConsumerLoopState.HealthCheck>("consume-loop", tags: ["ready"]);

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapConsumerStatusApi();
app.MapDefaultEndpoints();

app.Run();
