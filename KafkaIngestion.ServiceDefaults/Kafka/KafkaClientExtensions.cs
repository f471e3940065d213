using Confluent.Kafka;
using KafkaIngestion.ServiceDefaults.Kafka;
using Microsoft.Extensions.Configuration;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Registers Confluent.Kafka clients against a connection name, the way Aspire's client
/// integrations do: settings bound and validated at start, librdkafka logs routed to
/// <see cref="ILogger"/>, librdkafka statistics turned into the service's metrics, and a health
/// check that asks the cluster for metadata.
/// </summary>
public static class KafkaClientExtensions
{
    public const string ProducerSection = "Kafka:Producer";
    public const string ConsumerSection = "Kafka:Consumer";

    /// <summary>Key of the <see cref="KafkaBrokerProbe"/> built on the registered producer.</summary>
    public const string ProducerProbeKey = "kafka-producer";

    /// <summary>Key of the <see cref="KafkaBrokerProbe"/> built on the registered consumer.</summary>
    public const string ConsumerProbeKey = "kafka-consumer";

    /// <summary>
    /// How often librdkafka reports statistics unless the service or <c>Kafka:*:Config</c> says
    /// otherwise (<c>statistics.interval.ms</c>, 0 turns them off). Once a second keeps the
    /// dashboard's curves live; a report costs librdkafka a few kilobytes of JSON.
    /// </summary>
    public const int DefaultStatisticsIntervalMs = 1_000;

    /// <summary>
    /// Registers a singleton <see cref="IProducer{TKey, TValue}"/>. Precedence, lowest first:
    /// <paramref name="configureDefaults"/>, <c>Kafka:Producer:Config</c>, the connection string.
    /// <paramref name="configureBuilder"/> can attach handlers (a partitioner); the statistics
    /// handler is taken: read the client's <see cref="KafkaStatistics"/> (keyed <see cref="ProducerProbeKey"/>).
    /// </summary>
    // Our own, not Aspire.Confluent.Kafka: that package is not available to this project, and one registration serves all three Kafka modes.
    public static IHostApplicationBuilder AddKafkaProducer<TKey, TValue>(
        this IHostApplicationBuilder builder,
        string connectionName,
        Action<IServiceProvider, ProducerConfig>? configureDefaults = null,
        Action<IServiceProvider, ProducerBuilder<TKey, TValue>>? configureBuilder = null)
    {
        AddSettings(builder, ProducerSection, connectionName);
        AddStatistics(builder, ProducerProbeKey);

        builder.Services.AddSingleton(services =>
        {
            var settings = services.GetRequiredService<IOptionsMonitor<KafkaClientSettings>>().Get(ProducerSection);
            var config = new ProducerConfig { StatisticsIntervalMs = DefaultStatisticsIntervalMs };
            configureDefaults?.Invoke(services, config);
            Apply(config, settings);

            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("KafkaIngestion.Kafka.Producer");
            var statistics = services.GetRequiredKeyedService<KafkaStatistics>(ProducerProbeKey);
            var producerBuilder = new ProducerBuilder<TKey, TValue>(config)
                .SetLogHandler((_, message) => KafkaLog.Librdkafka(logger, message))
                .SetStatisticsHandler((_, json) => statistics.Update(json))
                .SetErrorHandler((_, error) => OnError(services, ProducerProbeKey, logger, error));
            configureBuilder?.Invoke(services, producerBuilder);
            return producerBuilder.Build();
        });

        AddProbeAndHealthCheck(builder, ProducerSection, ProducerProbeKey,
            services => services.GetRequiredService<IProducer<TKey, TValue>>().Handle);

        return builder;
    }

    /// <summary>
    /// Registers a singleton <see cref="IConsumer{TKey, TValue}"/>; <paramref name="configureBuilder"/>
    /// can attach rebalance handlers. Precedence as for <see cref="AddKafkaProducer{TKey, TValue}"/>.
    /// </summary>
    // Our own, not Aspire.Confluent.Kafka: that package is not available to this project, and one registration serves all three Kafka modes.
    public static IHostApplicationBuilder AddKafkaConsumer<TKey, TValue>(
        this IHostApplicationBuilder builder,
        string connectionName,
        Action<ConsumerConfig>? configureDefaults = null,
        Action<IServiceProvider, ConsumerBuilder<TKey, TValue>>? configureBuilder = null)
    {
        AddSettings(builder, ConsumerSection, connectionName);
        AddStatistics(builder, ConsumerProbeKey);

        builder.Services.AddSingleton(services =>
        {
            var settings = services.GetRequiredService<IOptionsMonitor<KafkaClientSettings>>().Get(ConsumerSection);
            var config = new ConsumerConfig { StatisticsIntervalMs = DefaultStatisticsIntervalMs };
            configureDefaults?.Invoke(config);
            Apply(config, settings);

            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("KafkaIngestion.Kafka.Consumer");
            var statistics = services.GetRequiredKeyedService<KafkaStatistics>(ConsumerProbeKey);
            var consumerBuilder = new ConsumerBuilder<TKey, TValue>(config)
                .SetLogHandler((_, message) => KafkaLog.Librdkafka(logger, message))
                .SetStatisticsHandler((_, json) => statistics.Update(json))
                .SetErrorHandler((_, error) => OnError(services, ConsumerProbeKey, logger, error));
            configureBuilder?.Invoke(services, consumerBuilder);
            return consumerBuilder.Build();
        });

        AddProbeAndHealthCheck(builder, ConsumerSection, ConsumerProbeKey,
            services => services.GetRequiredService<IConsumer<TKey, TValue>>().Handle);

        return builder;
    }

    /// <summary>
    /// A consumer configuration with the same connection and <c>Kafka:Consumer</c> settings as
    /// the registered consumer, for a short-lived second consumer (another group, another topic).
    /// </summary>
    public static ConsumerConfig CreateConsumerConfig(this IServiceProvider services, Action<ConsumerConfig> configureDefaults)
    {
        var settings = services.GetRequiredService<IOptionsMonitor<KafkaClientSettings>>().Get(ConsumerSection);
        var config = new ConsumerConfig();
        configureDefaults(config);
        Apply(config, settings);
        return config;
    }

    private static void OnError(IServiceProvider services, string probeKey, ILogger logger, Error error)
    {
        KafkaLog.ClientError(logger, error);
        if (error.IsFatal)
        {
            // Called on the client's poll (or consume) thread, long after the client was built:
            // the probe (which needs the built client) can be resolved here.
            services.GetRequiredKeyedService<KafkaBrokerProbe>(probeKey).RecordFatal(error);
        }
    }

    private static void AddSettings(IHostApplicationBuilder builder, string section, string connectionName)
    {
        builder.Services.AddOptions<KafkaClientSettings>(section)
            .BindConfiguration(section)
            .PostConfigure<IConfiguration>((settings, configuration) =>
                settings.ConnectionString ??= configuration.GetConnectionString(connectionName))
            .ValidateDataAnnotations()
            .Validate(settings => TryParse(settings.ConnectionString),
                $"ConnectionStrings:{connectionName} is not a bootstrap list nor 'bootstrap.servers=…' properties.")
            .ValidateOnStart();
    }

    private static void AddStatistics(IHostApplicationBuilder builder, string clientKey)
    {
        // One set of instruments for all of the service's clients, on the service's meter.
        var meterName = builder.Environment.ApplicationName;
        builder.Services.TryAddSingleton(services => new KafkaStatisticsMetrics(services.GetRequiredService<IMeterFactory>(), meterName));
        builder.Services.AddKeyedSingleton(clientKey, (services, _) => services.GetRequiredService<KafkaStatisticsMetrics>().Register());
    }

    private static void AddProbeAndHealthCheck(IHostApplicationBuilder builder, string section, string probeKey, Func<IServiceProvider, Handle> handle)
    {
        builder.Services.AddKeyedSingleton(probeKey, (services, _) =>
        {
            var settings = services.GetRequiredService<IOptionsMonitor<KafkaClientSettings>>().Get(section);
            return new KafkaBrokerProbe(handle(services), settings.HealthCheckTimeout, TimeProvider.System);
        });

        var disabled = builder.Configuration.GetValue<bool>($"{section}:{nameof(KafkaClientSettings.DisableHealthChecks)}");
        if (!disabled)
        {
            builder.Services.AddHealthChecks()
                .Add(new(
                    probeKey,
                    services => new KafkaHealthCheck(services.GetRequiredKeyedService<KafkaBrokerProbe>(probeKey)),
                    failureStatus: null,
                    tags: ["ready"]))
                .Add(new(
                    $"{probeKey}-alive",
                    services => new KafkaClientAliveCheck(services.GetRequiredKeyedService<KafkaBrokerProbe>(probeKey)),
                    failureStatus: HealthStatus.Unhealthy,
                    tags: ["live"]));
        }
    }

    private static void Apply(ClientConfig config, KafkaClientSettings settings)
    {
        foreach (var (key, value) in settings.Config)
        {
            config.Set(key, value);
        }

        foreach (var (key, value) in KafkaConnectionString.Parse(settings.ConnectionString!))
        {
            config.Set(key, value);
        }
    }

    private static bool TryParse(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return true; // reported by [Required]
        }

        try
        {
            KafkaConnectionString.Parse(connectionString);
            return true;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            return false;
        }
    }
}
