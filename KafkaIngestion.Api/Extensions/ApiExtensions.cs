using KafkaIngestion.Api.GrpcIngest;
using KafkaIngestion.Api.Input;
using KafkaIngestion.Api.WarmUp;
using KafkaIngestion.Api.WebConsole;
using KafkaIngestion.Events;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace KafkaIngestion.Api;

/// <summary>The API's registrations and endpoints, called in order from Program.cs.</summary>
internal static class ApiExtensions
{
    /// <summary>ProblemDetails, the OpenAPI document and the JSON contexts of every answer.</summary>
    public static void AddApiDefaults(this IHostApplicationBuilder builder)
    {
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
            options.SerializerOptions.TypeInfoResolverChain.Insert(3, ConsoleJsonContext.Default);
        });
    }

    /// <summary>Ingestion: its options and limits, the gate, the pipeline and the Kafka producer.</summary>
    public static void AddIngestion(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<IngestionOptions>()
            .BindConfiguration(IngestionOptions.Section)
            .ValidateDataAnnotations()
            .Validate(options => options.ApiKeys.All(key => key.Length >= 16), "Every Ingestion:ApiKeys entry must be at least 16 characters long.")
            .Validate(_ => BodyDecoder.DetectsTruncation(),
                "The runtime takes truncated gzip streams as whole: run the API with System.IO.Compression.UseStrictValidation=true (its project file sets it).")
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
        builder.Services.AddSingleton<IngestionAnswers>();
        builder.Services.AddSingleton<EventPublisher>();
        builder.Services.AddSingleton<IngestionPipeline>();
        builder.Services.AddSingleton<IngestionGate>();
        builder.Services.AddSingleton<InFlightBudget>();
        // The producer's librdkafka statistics become the API's metrics in ServiceDefaults.
        builder.AddKafkaProducer<string?, byte[]>("kafka", EventPublisher.ConfigureProducerDefaults);
        builder.AddStartupWarmUp();
        builder.AddGrpcIngestion();
    }

    /// <summary>The gRPC service, on the HTTP/2 endpoint: the same limits and gate as HTTP.</summary>
    private static void AddGrpcIngestion(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<GrpcGate>();
        builder.Services.AddGrpc(grpc => grpc.Interceptors.Add<GrpcGate>());
        // A message over the body limit is refused by gRPC itself, RESOURCE_EXHAUSTED, before it is read whole.
        builder.Services.AddOptions<Grpc.AspNetCore.Server.GrpcServiceOptions>()
            .Configure<IOptions<IngestionOptions>>((grpc, ingestion) =>
            {
                grpc.MaxReceiveMessageSize = ingestion.Value.MaxRequestBytes;
                grpc.EnableDetailedErrors = false;
            });
    }

    /// <summary>The web console: one feed for every open page, polling the consumer only while someone watches.</summary>
    public static void AddWebConsole(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ConsoleOptions>()
            .BindConfiguration(ConsoleOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        // A poll a second is its own retry and must answer within Console:PollTimeout: the default
        // retries would only log a warning a second while the consumer is down. (Marked for evaluation
        // in Microsoft.Extensions.Http.Resilience, but it is the documented way to opt one client out.)
#pragma warning disable EXTEXP0001
        builder.Services.AddHttpClient(ConsumerPoller.HttpClientName, (services, http) =>
                http.BaseAddress = services.GetRequiredService<IOptions<ConsoleOptions>>().Value.ConsumerUrl)
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        // HttpClient logs every request at Information: four lines a second per poll would bury the API's own logs.
        builder.Logging.AddFilter($"System.Net.Http.HttpClient.{ConsumerPoller.HttpClientName}", LogLevel.Warning);
        builder.Services.AddSingleton<ConsumerPoller>();
        builder.Services.AddSingleton<ConsoleFeed>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ConsoleFeed>());
    }

    /// <summary>The OpenAPI document, always; the browsable UI only in Development.</summary>
    public static void MapApiDocs(this WebApplication app)
    {
        app.MapOpenApi();
        if (app.Environment.IsDevelopment())
        {
            app.MapScalarApiReference();
        }
    }

    /// <summary>
    /// The web console's page at /. Routing runs before these (WebApplication puts it first), and
    /// both return at once for a request that matched an endpoint: ingestion never reaches the disk.
    /// </summary>
    public static void UseWebConsolePage(this WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            // Revalidated each time (ETag): a new version of the API never runs an old script.
            OnPrepareResponse = context => context.Context.Response.Headers.CacheControl = "no-cache",
        });
    }

    /// <summary>The ingestion endpoints behind the gate, then status and the console's feed.</summary>
    public static void MapApiEndpoints(this WebApplication app)
    {
        // One gate instance for every ingestion endpoint, so a key's rate limit spans all of them.
        app.MapEventsApi()
            .AddEndpointFilter(app.Services.GetRequiredService<IngestionGate>());
        // gRPC limits each message itself (MaxReceiveMessageSize, RESOURCE_EXHAUSTED); Kestrel's body
        // limit would instead fail a unary call as an unknown error, and cut a stream after that many bytes.
        app.MapGrpcService<IngestService>().WithMetadata(new Microsoft.AspNetCore.Mvc.DisableRequestSizeLimitAttribute());
        app.MapStatusApi();
        app.MapWarmUpApi();
        app.MapConsoleApi();
    }
}
