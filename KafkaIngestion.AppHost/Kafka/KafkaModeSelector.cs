using KafkaIngestion.AppHost.Containers;

namespace KafkaIngestion.AppHost.Kafka;

/// <summary>The mode the AppHost runs Kafka in, and why; logged at start and shown on the resource.</summary>
public sealed record KafkaModeAnnotation(KafkaMode Mode, string Reason) : IResourceAnnotation;

/// <summary>
/// Chooses the <see cref="KafkaMode"/>: <c>Kafka:Mode</c> when set to a mode, otherwise an
/// external cluster when <c>ConnectionStrings:{name}</c> is given, otherwise a container when a
/// container runtime answers and can get the Kafka image, otherwise the embedded broker.
/// </summary>
internal static class KafkaModeSelector
{
    public const string ModeKey = "Kafka:Mode";

    public static KafkaModeAnnotation Select(IDistributedApplicationBuilder builder, string name, ContainerImage image)
    {
        var configured = builder.Configuration[ModeKey];
        if (!string.IsNullOrWhiteSpace(configured) && !configured.Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            if (!Enum.TryParse<KafkaMode>(configured, ignoreCase: true, out var forced))
            {
                throw new InvalidOperationException($"{ModeKey} is '{configured}'; use auto, container, embedded or external.");
            }

            if (forced == KafkaMode.Container && builder.ExecutionContext.IsRunMode)
            {
                // Forced, so no fallback: fail now with the reason rather than wait forever for a container.
                var (usable, why) = ContainerRuntimeProbe.CanRun(builder, image);
                return usable
                    ? new(forced, $"{ModeKey}=container; {why}")
                    : throw new DistributedApplicationException($"{ModeKey}=container, but {why}. Start Docker or Podman, or make the image available (Kafka:Container:Registry, :Image, :Tag name another), or use {ModeKey}=embedded.");
            }

            return new(forced, $"{ModeKey}={configured}");
        }

        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(name)))
        {
            return new(KafkaMode.External, $"ConnectionStrings:{name} is set");
        }

        // A published manifest is deployed where containers run; only local runs fall back.
        if (builder.ExecutionContext.IsPublishMode)
        {
            return new(KafkaMode.Container, "publishing: the deployment runs the Kafka image");
        }

        var (canRun, reason) = ContainerRuntimeProbe.CanRun(builder, image);
        return canRun
            ? new(KafkaMode.Container, reason)
            : new(KafkaMode.Embedded, $"{reason}, so the in-process broker runs instead");
    }
}
