namespace KafkaIngestion.Tests.AppHost;

/// <summary>
/// A test double of a container runtime's command line: a shell script named like the runtime
/// that answers <c>info</c> and <c>image inspect</c> as a test tells it to, so the AppHost's
/// choice of mode can be checked on any machine. Real Podman and Docker are tested in
/// <c>ContainerRuntimeSelectionTests</c> where they are installed.
/// </summary>
internal sealed class ScriptedContainerCli : IDisposable
{
    private readonly string _directory;

    private ScriptedContainerCli(string directory, string path)
    {
        _directory = directory;
        Path = path;
    }

    /// <summary>The script, for <c>ASPIRE_CONTAINER_RUNTIME</c>.</summary>
    public string Path { get; }

    public string RuntimeArgument => $"ASPIRE_CONTAINER_RUNTIME={Path}";

    public static ScriptedContainerCli Create(string name, bool engineAnswers, bool hasImages)
    {
        var directory = Directory.CreateTempSubdirectory("kafkaingestion-cli-").FullName;
        var path = System.IO.Path.Combine(directory, name);
        var info = engineAnswers ? "echo amd64" : "echo 'Cannot connect to the engine: connection refused' >&2; exit 125";
        var image = hasImages ? "echo sha256:0123" : "echo 'Error: no such image' >&2; exit 1";
        File.WriteAllText(path, $"""
            #!/bin/sh
            case "$1" in
              info) {info} ;;
              image) {image} ;;
              *) echo "unexpected: $*" >&2; exit 2 ;;
            esac
            """);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return new ScriptedContainerCli(directory, path);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
