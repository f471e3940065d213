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
