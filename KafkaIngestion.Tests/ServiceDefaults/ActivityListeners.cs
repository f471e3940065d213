namespace KafkaIngestion.Tests.ServiceDefaults;

/// <summary>
/// Tests that check which spans a sampler keeps. A span is recorded when any listener of its
/// source asks for it (other tests' hosts and listeners, too), so these run on their own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ActivityListeners
{
    public const string Name = "Activity listeners";
}
