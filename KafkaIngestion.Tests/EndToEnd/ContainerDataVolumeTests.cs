namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>
/// The PostgreSQL data volume outlives the AppHost: events stored by one `dotnet run` are there
/// for the next. Two AppHosts one after the other on one volume, so not the shared fixture.
/// </summary>
[Trait("Category", "EndToEnd")]
[Collection(ContainerModeAppHosts.Name)]
public sealed class ContainerDataVolumeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    [ContainerFact]
    public async Task StoredEventsSurviveAStopAndANewRunOfTheAppHost()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var volume = $"kafkaingestion-test-pg-{Guid.NewGuid():N}";
        try
        {
            List<string> ids;
            await using (var first = new ContainerModeAppHostFixture(volume, removeVolume: false))
            {
                await first.InitializeAsync();
                ids = await ContainerModeSteps.SendAsync(first, 100, timeout.Token);
                await ContainerModeSteps.WaitUntilStoredAsync(first, ids, timeout.Token);
            }

            await using var second = new ContainerModeAppHostFixture(volume, removeVolume: false);
            await second.InitializeAsync();
            Assert.Equal(ids.Count, await ContainerModeSteps.CountStoredAsync(second, ids, timeout.Token));
        }
        finally
        {
            await ContainerModeAppHostFixture.RemoveVolumeAsync(volume);
        }
    }
}
