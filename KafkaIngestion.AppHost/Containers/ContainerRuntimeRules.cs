namespace KafkaIngestion.AppHost.Containers;

/// <summary>The pure rules behind <see cref="ContainerRuntimeProbe"/>: which runtimes to ask, how, and what counts as an answer.</summary>
internal static class ContainerRuntimeRules
{
    /// <summary>The configured runtime alone, or Docker then Podman.</summary>
    public static IReadOnlyList<string> Candidates(string? configured) =>
        configured is null ? ["docker", "podman"] : [configured];

    /// <summary>
    /// A question only the engine can answer: Docker's server version (the client alone prints
    /// nothing, or "&lt;no value&gt;"), Podman's host architecture (<c>podman info</c> has no ServerVersion).
    /// </summary>
    public static IReadOnlyList<string> EngineQuery(string runtime) =>
        IsPodman(runtime) ? ["info", "--format", "{{.Host.Arch}}"] : ["info", "--format", "{{.ServerVersion}}"];

    /// <summary>Null when the engine answered; otherwise why not, for the log line.</summary>
    public static string? JudgeEngine(string runtime, CommandResult? result)
    {
        if (result is null)
        {
            return $"{runtime}: not installed";
        }

        var printed = result.Output.Trim();
        if (result.ExitCode == 0 && printed.Length > 0 && printed != "<no value>")
        {
            return null;
        }

        var why = FirstLine(result.Error) ?? (result.ExitCode == 0 ? "its engine reported no version" : $"exit code {result.ExitCode}");
        return $"{runtime}: the CLI is installed but its engine did not answer ({why})";
    }

    /// <summary>
    /// Where to ask whether a registry is reachable (the Docker Registry API's base, which answers
    /// 200 or 401), or null for <c>localhost</c>, Podman's name for images that exist only locally.
    /// </summary>
    public static Uri? RegistryProbeUri(string registry) => registry switch
    {
        "localhost" => null,
        "docker.io" or "index.docker.io" => new Uri("https://registry-1.docker.io/v2/"),
        _ => new Uri($"https://{registry}/v2/"),
    };

    private static bool IsPodman(string runtime) =>
        Path.GetFileNameWithoutExtension(runtime).Equals("podman", StringComparison.OrdinalIgnoreCase);

    private static string? FirstLine(string text) =>
        text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
}
