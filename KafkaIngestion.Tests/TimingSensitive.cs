namespace KafkaIngestion.Tests;

/// <summary>
/// Tests whose assertions depend on wall-clock timing (a rate held within a few percent). xunit
/// runs this collection on its own after the parallel ones, so the processes the end-to-end
/// fixtures start do not compete with them for the CPU.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitive
{
    public const string Name = "Timing-sensitive";
}
