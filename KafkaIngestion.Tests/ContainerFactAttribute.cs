namespace KafkaIngestion.Tests;

/// <summary>
/// A test that runs containers on Podman with the locally built test images
/// (<c>KAFKAINGESTION_TEST_CONTAINERS=podman</c>, set by .ci/run once .ci/images.sh built them);
/// skipped, visibly, without them.
/// </summary>
public sealed class ContainerFactAttribute : FactAttribute
{
    public const string Variable = "KAFKAINGESTION_TEST_CONTAINERS";

    public ContainerFactAttribute()
    {
        Skip = Missing;
    }

    /// <summary>Why container tests cannot run in this run; null when they can.</summary>
    public static string? Missing =>
        Environment.GetEnvironmentVariable(Variable) == "podman"
            ? null
            : $"No container runtime with the test images: run .ci/podman.sh and .ci/images.sh, then set {Variable}=podman (.ci/run does).";
}
