namespace KafkaIngestion.Tests;

/// <summary>Under CI the container tests must not drop out unnoticed, as PostgreSQL's must not.</summary>
public sealed class ContainersUnderCiTests
{
    [CiFact]
    public void UnderCiTheContainerModeTestsHavePodmanAndTheirImages() =>
        Assert.True(ContainerFactAttribute.Missing is null,
            $"CI=true but {ContainerFactAttribute.Variable} is not podman: .ci/podman.sh or .ci/images.sh failed, so container mode would go untested.");
}
