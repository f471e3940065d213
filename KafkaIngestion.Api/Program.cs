using Confluent.Kafka;
using KafkaIngestion.Api;
using KafkaIngestion.Events;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.Services.AddProblemDetails();
builder.Services.ConfigureHttpJsonOptions(options =>
{
    options.SerializerOptions.TypeInfoResolverChain.Insert(0, EventsJsonContext.Default);
    options.SerializerOptions.TypeInfoResolverChain.Insert(1, ApiJsonContext.Default);
});

builder.Services.AddOptions<IngestionOptions>()
    .BindConfiguration(IngestionOptions.Section)
    .ValidateDataAnnotations()
    .ValidateOnStart();

builder.AddKafkaProducer<string?, byte[]>("kafka", EventPublisher.ConfigureProducerDefaults);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<IngestionCounters>();
builder.Services.AddSingleton<EventPublisher>();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapEventsApi();
app.MapStatusApi();
app.MapDefaultEndpoints();

// Make sure queued deliveries finish before the process goes: every event still in the
// producer's queue belongs to a request that is waiting for its answer.
app.Lifetime.ApplicationStopping.Register(() =>
    app.Services.GetRequiredService<IProducer<string?, byte[]>>().Flush(TimeSpan.FromSeconds(10)));

app.Run();
