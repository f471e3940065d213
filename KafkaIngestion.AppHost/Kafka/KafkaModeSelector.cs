using System.Diagnostics;

namespace KafkaIngestion.AppHost.Kafka;

/// <summary>
/// Chooses the <see cref="KafkaMode"/>: <c>Kafka:Mode</c> when set to a mode, otherwise an
/// external cluster when <c>ConnectionStrings:{name}</c> is given, otherwise a container when a
/// container runtime answers, otherwise the embedded broker.
/// </summary>
internal static class KafkaModeSelector
{
    public const string ModeKey = "Kafka:Mode";

    public static KafkaMode Select(IDistributedApplicationBuilder builder, string name)
    {
        var configured = builder.Configuration[ModeKey];
        if (!string.IsNullOrWhiteSpace(configured) && !configured.Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            return Enum.TryParse<KafkaMode>(configured, ignoreCase: true, out var forced)
                ? forced
                : throw new InvalidOperationException($"{ModeKey} is '{configured}'; use auto, container, embedded or external.");
        }

        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(name)))
        {
            return KafkaMode.External;
        }

        // A published manifest is deployed where containers run; only local runs fall back.
        if (builder.ExecutionContext.IsPublishMode || ContainerRuntimeIsAvailable(builder.Configuration))
        {
            return KafkaMode.Container;
        }

        return KafkaMode.Embedded;
    }

    /// <summary>Asks the runtime Aspire would use (docker unless configured) whether its engine answers.</summary>
    private static bool ContainerRuntimeIsAvailable(ConfigurationManager configuration)
    {
        var runtime = configuration["ASPIRE_CONTAINER_RUNTIME"] ?? configuration["DcpPublisher:ContainerRuntime"] ?? "docker";
        try
        {
            using var process = Process.Start(new ProcessStartInfo(runtime, "info --format {{.ServerVersion}}")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return false;
            }

            // A client without an engine fails at once; a busy engine gets a few seconds.
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }

            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // not installed
        }
    }
}
