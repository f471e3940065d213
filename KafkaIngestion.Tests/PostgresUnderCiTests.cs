using KafkaIngestion.Tests.Consumer;

namespace KafkaIngestion.Tests;

/// <summary>
/// Under CI the PostgreSQL tests must not drop out unnoticed: .ci/run installs and starts a
/// server, and if that failed its tests would all be skipped while the run stayed green.
/// </summary>
public sealed class PostgresUnderCiTests
{
    [CiFact]
    public void UnderCiThePostgresStoreTestsHaveAServer()
    {
        Assert.True(PostgresFactAttribute.Missing is null,
            $"CI=true but {EventStoreContractTests.PostgresVariable} is not set: .ci/postgres.sh could not install or start PostgreSQL, so the PostgreSQL store's tests would be skipped.");
    }
}
