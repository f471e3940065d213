using KafkaIngestion.Consumer.Storage;
using KafkaIngestion.ConsumerApi;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Consumer;

/// <summary>The consumer's registrations and endpoints, called in order from Program.cs.</summary>
internal static class ConsumerExtensions
{
    /// <summary>ProblemDetails and the JSON context of the consumer's HTTP API.</summary>
    public static void AddConsumerApiDefaults(this IHostApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(options =>
            options.SerializerOptions.TypeInfoResolverChain.Insert(0, ConsumerApiJsonContext.Default));
    }

    /// <summary>The consume loop, its Kafka clients, its state and what it writes to.</summary>
    public static void AddEventConsumer(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ConsumerOptions>()
            .BindConfiguration(ConsumerOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        // Shutdown drains the store queue for up to Consumer:DrainTimeout before it commits and leaves
        // the group: the host must wait longer than that, or it disposes the worker under that drain.
        builder.Services.AddOptions<HostOptions>().Configure<IOptions<ConsumerOptions>>((host, consumer) =>
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
        builder.AddEventStore();
        builder.Services.AddSingleton<EventConsumerWorker>();
        builder.Services.AddHostedService(services => services.GetRequiredService<EventConsumerWorker>());
        builder.Services.AddHealthChecks()
            .AddCheck<ConsumerLoopState.HealthCheck>("consume-loop", tags: ["ready"]);
    }

    /// <summary>SQLite (a file, the default) or, with Consumer:Store=postgres, PostgreSQL.</summary>
    private static void AddEventStore(this IHostApplicationBuilder builder)
    {
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
    }

    /// <summary>What the consumer has done (status, stored ids, recent events) and what an operator asks of it.</summary>
    public static void MapConsumerEndpoints(this WebApplication app)
    {
        app.MapConsumerStatusApi();
        app.MapConsumerOperationsApi();
    }
}
