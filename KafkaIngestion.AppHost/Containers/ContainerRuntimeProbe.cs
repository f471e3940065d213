using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace KafkaIngestion.AppHost.Containers;

/// <summary>What asking the container runtimes found: the one to use (null when none answered) and why.</summary>
internal sealed record RuntimeAnswer(string? Runtime, string Reason);

/// <summary>Whether a runtime can get an image (or run it), and why.</summary>
internal sealed record ImageAnswer(bool Available, string Reason);

/// <summary>
/// Asks Docker and Podman (or the one <c>ASPIRE_CONTAINER_RUNTIME</c> names) whether their engine
/// answers and whether they can get an image, so the AppHost can choose a mode before anything
/// starts, and say why. The rules are in <see cref="ContainerRuntimeRules"/>; this class runs the commands.
/// </summary>
internal static class ContainerRuntimeProbe
{
    /// <summary>Aspire's own setting; the orchestrator drives the runtime it names.</summary>
    public const string RuntimeKey = "ASPIRE_CONTAINER_RUNTIME";

    private const string PublisherRuntimeKey = "DcpPublisher:ContainerRuntime";

    private static readonly TimeSpan EngineTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ImageTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RegistryTimeout = TimeSpan.FromSeconds(3);

    // One answer per AppHost: Kafka and PostgreSQL ask the same question.
    private static readonly ConditionalWeakTable<IDistributedApplicationBuilder, RuntimeAnswer> Answers = new();

    /// <summary>
    /// The runtime whose engine answers, asked once per AppHost. When none was configured and one
    /// answered, the orchestrator is told to use that one, so that what was checked is what runs.
    /// </summary>
    public static RuntimeAnswer FindRuntime(IDistributedApplicationBuilder builder) =>
        Answers.GetValue(builder, b =>
        {
            var configured = ConfiguredRuntime(b.Configuration);
            var answer = FindRuntime(ContainerRuntimeRules.Candidates(configured));
            if (configured is null && answer.Runtime is not null)
            {
                b.Configuration[RuntimeKey] = answer.Runtime;
            }

            return answer;
        });

    /// <summary>Whether this AppHost can run <paramref name="image"/>: a runtime answers and has it or can pull it.</summary>
    public static ImageAnswer CanRun(IDistributedApplicationBuilder builder, ContainerImage image)
    {
        var runtime = FindRuntime(builder);
        if (runtime.Runtime is null)
        {
            return new ImageAnswer(false, runtime.Reason);
        }

        var answer = CanGetImage(runtime.Runtime, image);
        return answer with { Reason = $"{runtime.Reason}{(answer.Available ? " and" : ", but")} {answer.Reason}" };
    }

    private static string? ConfiguredRuntime(ConfigurationManager configuration) =>
        NonEmpty(configuration[RuntimeKey]) ?? NonEmpty(configuration[PublisherRuntimeKey]);

    private static RuntimeAnswer FindRuntime(IReadOnlyList<string> candidates)
    {
        var tried = new List<string>();
        foreach (var runtime in candidates)
        {
            var result = Run(runtime, ContainerRuntimeRules.EngineQuery(runtime), EngineTimeout);
            var verdict = ContainerRuntimeRules.JudgeEngine(runtime, result);
            if (verdict is null)
            {
                return new RuntimeAnswer(runtime, $"{runtime}'s engine answered");
            }

            tried.Add(verdict);
        }

        return new RuntimeAnswer(null, $"no container runtime answered ({string.Join("; ", tried)})");
    }

    /// <summary>Whether <paramref name="runtime"/> has <paramref name="image"/> or can pull it now.</summary>
    private static ImageAnswer CanGetImage(string runtime, ContainerImage image)
    {
        var inspect = Run(runtime, ["image", "inspect", "--format", "{{.Id}}", image.Reference], ImageTimeout);
        if (inspect is { ExitCode: 0 })
        {
            return new ImageAnswer(true, $"image {image} is present locally");
        }

        if (ContainerRuntimeRules.RegistryProbeUri(image.Registry) is not { } probe)
        {
            return new ImageAnswer(false, $"image {image} is not present locally, and '{image.Registry}' names local images only");
        }

        var registryError = RegistryError(probe);
        return registryError is null
            ? new ImageAnswer(true, $"image {image} is not present locally; registry {image.Registry} answers, so it will be pulled")
            : new ImageAnswer(false, $"image {image} is not present locally and registry {image.Registry} did not answer ({registryError})");
    }

    /// <summary>Null when the registry answered anything at all over HTTPS (401 included), else why not.</summary>
    private static string? RegistryError(Uri probe)
    {
        try
        {
            using var http = new HttpClient { Timeout = RegistryTimeout };
            using var response = http.GetAsync(probe, HttpCompletionOption.ResponseHeadersRead).GetAwaiter().GetResult();
            return null;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return ex is TaskCanceledException ? $"no answer within {RegistryTimeout.TotalSeconds:0} s" : ex.Message;
        }
    }

    private static CommandResult? Run(string file, IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start);
            if (process is null)
            {
                return null;
            }

            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                return new CommandResult(-1, "", $"no answer within {timeout.TotalSeconds:0} s");
            }

            return new CommandResult(process.ExitCode, output.GetAwaiter().GetResult(), error.GetAwaiter().GetResult());
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // not installed
        }
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <summary>What a command printed and how it ended.</summary>
internal sealed record CommandResult(int ExitCode, string Output, string Error);
