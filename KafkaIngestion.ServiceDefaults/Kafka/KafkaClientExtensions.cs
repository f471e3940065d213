using Confluent.Kafka;
using KafkaIngestion.ServiceDefaults.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Registers Confluent.Kafka clients against a connection name, the way Aspire's client
/// integrations do: settings bound and validated at start, librdkafka logs routed to
/// <see cref="ILogger"/>, and a health check that asks the cluster for metadata.
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
    /// Registers a singleton <see cref="IProducer{TKey, TValue}"/>. Precedence, lowest first:
    /// <paramref name="configureDefaults"/>, <c>Kafka:Producer:Config</c>, the connection string.
    /// <paramref name="configureBuilder"/> can attach handlers (statistics, partitioner).
    /// </summary>
    public static IHostApplicationBuilder AddKafkaProducer<TKey, TValue>(
        this IHostApplicationBuilder builder,
        string connectionName,
        Action<IServiceProvider, ProducerConfig>? configureDefaults = null,
        Action<IServiceProvider, ProducerBuilder<TKey, TValue>>? configureBuilder = null)
    {
        AddSettings(builder, ProducerSection, connectionName);

        builder.Services.AddSingleton(services =>
        {
            var settings = services.GetRequiredService<IOptionsMonitor<KafkaClientSettings>>().Get(ProducerSection);
            var config = new ProducerConfig();
            configureDefaults?.Invoke(services, config);
            Apply(config, settings);

            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("KafkaIngestion.Kafka.Producer");
            var producerBuilder = new ProducerBuilder<TKey, TValue>(config)
                .SetLogHandler((_, message) => KafkaLog.Librdkafka(logger, message))
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
    public static IHostApplicationBuilder AddKafkaConsumer<TKey, TValue>(
        this IHostApplicationBuilder builder,
        string connectionName,
        Action<ConsumerConfig>? configureDefaults = null,
        Action<IServiceProvider, ConsumerBuilder<TKey, TValue>>? configureBuilder = null)
    {
        AddSettings(builder, ConsumerSection, connectionName);

        builder.Services.AddSingleton(services =>
        {
            var settings = services.GetRequiredService<IOptionsMonitor<KafkaClientSettings>>().Get(ConsumerSection);
            var config = new ConsumerConfig();
            configureDefaults?.Invoke(config);
            Apply(config, settings);

            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("KafkaIngestion.Kafka.Consumer");
            var consumerBuilder = new ConsumerBuilder<TKey, TValue>(config)
                .SetLogHandler((_, message) => KafkaLog.Librdkafka(logger, message))
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
            // Called on librdkafka's thread, long after the client was built: the probe (which
            // needs the built client) can be resolved here.
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
            builder.Services.AddHealthChecks().Add(new(
                probeKey,
                services => new KafkaHealthCheck(services.GetRequiredKeyedService<KafkaBrokerProbe>(probeKey)),
                failureStatus: null,
                tags: ["ready"]));
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
