using KafkaIngestion.Tests.Consumer;

namespace KafkaIngestion.Tests;

/// <summary>A test that needs a real PostgreSQL (<c>KAFKAINGESTION_TEST_POSTGRES</c>); skipped, visibly, without one.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(EventStoreContractTests.PostgresVariable)))
        {
            Skip = $"No PostgreSQL: set {EventStoreContractTests.PostgresVariable} (.ci/run does).";
        }
    }
}
