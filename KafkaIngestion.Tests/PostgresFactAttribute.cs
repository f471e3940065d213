using KafkaIngestion.Tests.Consumer;

namespace KafkaIngestion.Tests;

/// <summary>A test that needs a real PostgreSQL (<c>KAFKAINGESTION_TEST_POSTGRES</c>); skipped, visibly, without one.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        Skip = Missing;
    }

    /// <summary>Why a test that needs PostgreSQL cannot run in this run; null when it can.</summary>
    public static string? Missing =>
        string.IsNullOrEmpty(Environment.GetEnvironmentVariable(EventStoreContractTests.PostgresVariable))
            ? $"No PostgreSQL: set {EventStoreContractTests.PostgresVariable} (.ci/run does)."
            : null;
}

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

/// <summary>A check of what CI must provide; skipped, visibly, outside CI (<c>CI</c> unset).</summary>
public sealed class CiFactAttribute : FactAttribute
{
    public CiFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
        {
            Skip = "Checks what CI provides; CI is not set.";
        }
    }
}
