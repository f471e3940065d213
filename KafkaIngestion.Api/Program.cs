using KafkaIngestion.Api;
using KafkaIngestion.Events;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.Services.AddProblemDetails();
builder.Services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
{
    document.Info.Title = "KafkaIngestion API";
    document.Info.Description = "Takes events over HTTP and answers 2xx only once Kafka has stored them. " +
        "Ingestion endpoints need the X-Api-Key header when keys are configured.";
    return Task.CompletedTask;
}));
builder.Services.ConfigureHttpJsonOptions(options =>
{
    options.SerializerOptions.TypeInfoResolverChain.Insert(0, EventResultsJsonContext.Default);
    options.SerializerOptions.TypeInfoResolverChain.Insert(1, EventsJsonContext.Default);
    options.SerializerOptions.TypeInfoResolverChain.Insert(2, ApiJsonContext.Default);
});

builder.Services.AddOptions<IngestionOptions>()
    .BindConfiguration(IngestionOptions.Section)
    .ValidateDataAnnotations()
    .Validate(options => options.ApiKeys.All(key => key.Length >= 16), "Every Ingestion:ApiKeys entry must be at least 16 characters long.")
    .ValidateOnStart();
// Kestrel enforces the same body limit for bodies without Content-Length (chunked).
builder.Services.AddOptions<KestrelServerOptions>()
    .Configure<IOptions<IngestionOptions>>((kestrel, ingestion) =>
    {
        kestrel.Limits.MaxRequestBodySize = ingestion.Value.MaxRequestBytes;
        // A body that trickles in holds in-flight budget: senders slower than this are cut off.
        kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 16 * 1024, gracePeriod: TimeSpan.FromSeconds(5));
    });

builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<IngestionCounters>();
builder.Services.AddSingleton<IngestionMetrics>();
builder.Services.AddSingleton<ProducerQueueStats>();
builder.Services.AddSingleton<EventPublisher>();
builder.Services.AddSingleton<IngestionGate>();
builder.Services.AddSingleton<InFlightBudget>();
builder.AddKafkaProducer<string?, byte[]>("kafka", EventPublisher.ConfigureProducerDefaults,
    (services, producer) =>
    {
        var queue = services.GetRequiredService<ProducerQueueStats>();
        producer.SetStatisticsHandler((_, json) => queue.Update(json));
    });

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

// The OpenAPI document is always served; the browsable UI only in Development.
app.MapOpenApi();
if (app.Environment.IsDevelopment())
{
    app.MapScalarApiReference();
}

// One gate instance for every ingestion endpoint, so a key's rate limit spans all of them.
app.MapEventsApi()
    .AddEndpointFilter(app.Services.GetRequiredService<IngestionGate>());
app.MapStatusApi();
app.MapDefaultEndpoints();

app.Run();
