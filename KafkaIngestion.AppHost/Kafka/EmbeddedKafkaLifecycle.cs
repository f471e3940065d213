using KafkaIngestion.EmbeddedKafka;

namespace KafkaIngestion.AppHost.Kafka;

/// <summary>Starts and stops the embedded broker with the app, and runs its dashboard commands.</summary>
internal static partial class EmbeddedKafkaLifecycle
{
    public static async Task StartAsync(EmbeddedKafkaResource resource, InitializeResourceEvent e, CancellationToken cancellationToken)
    {
        await e.Notifications.PublishUpdateAsync(resource, s => s with { State = KnownResourceStates.Starting });
        EmbeddedKafkaBroker broker;
        try
        {
            var topics = resource.Annotations.OfType<KafkaTopicAnnotation>().Select(t => new KafkaTopic(t.Name, t.Partitions));
            broker = EmbeddedKafkaBroker.Start(topics, resource.FixedPort, e.Logger);
        }
        catch (Exception ex) when (ex is InvalidOperationException or DllNotFoundException or EntryPointNotFoundException)
        {
            LogFailedToStart(e.Logger, ex);
            resource.FailedToStart(ex);
            await e.Notifications.PublishUpdateAsync(resource, s => s with { State = KnownResourceStates.FailedToStart });
            return;
        }

        resource.Started(broker);
        var lifetime = e.Services.GetRequiredService<IHostApplicationLifetime>();
        lifetime.ApplicationStopped.Register(() => broker.DisposeAsync().AsTask().GetAwaiter().GetResult());

        LogStarted(e.Logger, broker.BootstrapServers, broker.FixedAddress ?? "(port taken)");
        await e.Eventing.PublishAsync(new ConnectionStringAvailableEvent(resource, e.Services), cancellationToken);
        await e.Notifications.PublishUpdateAsync(resource, s => s with
        {
            State = KnownResourceStates.Running,
            StartTimeStamp = DateTime.UtcNow,
            Urls = broker.FixedAddress is { } fixedAddress
                ? [new UrlSnapshot("bootstrap", $"tcp://{fixedAddress}", IsInternal: false)]
                : [],
            Properties = [.. s.Properties, new("kafka.bootstrap", broker.BootstrapServers), new("kafka.fixedAddress", broker.FixedAddress ?? "")],
        });
    }

    public static Task<ExecuteCommandResult> TakeDownAsync(ExecuteCommandContext context) =>
        ChangeBroker(context, up: false);

    public static Task<ExecuteCommandResult> BringUpAsync(ExecuteCommandContext context) =>
        ChangeBroker(context, up: true);

    public static async Task<ExecuteCommandResult> FailProduceRequestsAsync(ExecuteCommandContext context)
    {
        if (RunningBroker(context) is not { } broker)
        {
            return CommandResults.Failure("The embedded broker is not running.");
        }

        var asked = context.Arguments.FirstOrDefault(a => a.Name == "seconds")?.Value;
        var most = (int)EmbeddedKafkaBroker.MaxProduceErrorWindow.TotalSeconds;
        if (!int.TryParse(asked, System.Globalization.CultureInfo.InvariantCulture, out var seconds) || seconds < 1 || seconds > most)
        {
            return CommandResults.Failure($"The seconds are a whole number from 1 to {most}, not \"{asked}\".");
        }

        LogProduceErrors(context.Logger, seconds);
        // The command ends with the window: the dashboard shows it running meanwhile.
        await broker.FailProduceRequestsAsync(TimeSpan.FromSeconds(seconds), context.CancellationToken);
        LogProduceErrorsEnded(context.Logger);
        return CommandResults.Success();
    }

    /// <summary>Offers "down" only while the broker is up and running, and "up" only while it is down.</summary>
    public static ResourceCommandState CommandState(EmbeddedKafkaResource resource, bool wantUp, UpdateCommandStateContext context) =>
        context.ResourceSnapshot.State?.Text == KnownResourceStates.Running && resource.Broker?.IsUp == wantUp
            ? ResourceCommandState.Enabled
            : ResourceCommandState.Disabled;

    private static EmbeddedKafkaBroker? RunningBroker(ExecuteCommandContext context) =>
        context.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .OfType<EmbeddedKafkaResource>().SingleOrDefault(r => r.Name == context.ResourceName)?.Broker;

    private static Task<ExecuteCommandResult> ChangeBroker(ExecuteCommandContext context, bool up)
    {
        if (RunningBroker(context) is not { } broker)
        {
            return Task.FromResult(CommandResults.Failure("The embedded broker is not running."));
        }

        if (up)
        {
            broker.SetUp();
        }
        else
        {
            broker.SetDown();
        }

        LogBrokerChanged(context.Logger, up ? "up" : "down");
        return Task.FromResult(CommandResults.Success());
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Embedded Kafka broker running at {BootstrapServers}; Kafka tools can use {FixedAddress}. In memory only: nothing survives the AppHost, and each partition keeps only its newest 5 MiB")]
    private static partial void LogStarted(ILogger logger, string bootstrapServers, string fixedAddress);

    [LoggerMessage(Level = LogLevel.Error, Message = "The embedded Kafka broker could not start")]
    private static partial void LogFailedToStart(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Embedded broker fails every produce request with transient errors for {Seconds} s")]
    private static partial void LogProduceErrors(ILogger logger, int seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Embedded broker takes produce requests again; client connections were reset so that requests pipelined behind failed ones are sent again in order")]
    private static partial void LogProduceErrorsEnded(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Embedded broker is now {State}")]
    private static partial void LogBrokerChanged(ILogger logger, string state);
}
