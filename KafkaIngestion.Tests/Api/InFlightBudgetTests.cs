using KafkaIngestion.Api;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.Tests.Api;

/// <summary>
/// The in-flight budget's admissions as compressed bodies use them: grown at once when there is
/// room and nobody waits, else given back and queued for again, never held while waiting.
/// </summary>
public sealed class InFlightBudgetTests
{
    private const int Budget = 64 * 1024; // 64 permits of 1 KiB; one request holds at most 16

    private static InFlightBudget NewBudget(TimeSpan? wait = null) =>
        new(Options.Create(new IngestionOptions { MaxInFlightBytes = Budget, PublishTimeout = wait ?? TimeSpan.FromSeconds(5) }));

    [Fact]
    public async Task AnAdmissionGrowsAtOnceWhileThereIsRoomAndGivesEverythingBack()
    {
        using var budget = NewBudget();
        var admission = await budget.AdmitAsync(2 * 1024, CancellationToken.None);

        Assert.NotNull(admission);
        Assert.True(admission.TryCover(10 * 1024));
        Assert.Equal(Budget - 10 * 1024, budget.AvailableBytes);
        // Past a quarter of the budget nothing more is held: the same rule as for one large body.
        Assert.True(admission.TryCover(1024 * 1024));
        Assert.Equal(Budget - 16 * 1024, budget.AvailableBytes);

        admission.Dispose();
        Assert.Equal(Budget, budget.AvailableBytes);
    }

    [Fact]
    public async Task GrowingAtOnceFailsWhenTheRoomIsTakenAndHoldsNoMore()
    {
        using var budget = NewBudget();
        var others = new List<InFlightBudget.Admission>();
        for (var i = 0; i < 4; i++)
        {
            others.Add((await budget.AdmitAsync(15 * 1024, CancellationToken.None))!);
        }

        using var admission = await budget.AdmitAsync(1024, CancellationToken.None);
        Assert.NotNull(admission);
        Assert.Equal(3 * 1024, budget.AvailableBytes);

        Assert.False(admission.TryCover(8 * 1024));
        Assert.Equal(3 * 1024, budget.AvailableBytes);
        others.ForEach(o => o.Dispose());
    }

    [Fact]
    public async Task CoveringByQueueingGivesBackWhatIsHeldFirstSoTwoGrowingRequestsCannotStallEachOther()
    {
        using var budget = NewBudget();
        var a = (await budget.AdmitAsync(8 * 1024, CancellationToken.None))!;
        var b = (await budget.AdmitAsync(8 * 1024, CancellationToken.None))!;
        var others = new List<InFlightBudget.Admission>();
        for (var i = 0; i < 3; i++)
        {
            others.Add((await budget.AdmitAsync(16 * 1024, CancellationToken.None))!);
        }

        Assert.Equal(0, budget.AvailableBytes);

        // Had A and B each kept their 8 while waiting for 8 more, neither would ever get them.
        var growingA = a.CoverAsync(16 * 1024, CancellationToken.None);
        Assert.False(growingA.IsCompleted);
        Assert.Equal(8 * 1024, budget.AvailableBytes);

        var growingB = b.CoverAsync(16 * 1024, CancellationToken.None);
        Assert.True(await growingA.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.False(growingB.IsCompleted);

        others[0].Dispose();
        Assert.True(await growingB.WaitAsync(TimeSpan.FromSeconds(5)));

        a.Dispose();
        b.Dispose();
        others.ForEach(o => o.Dispose());
        Assert.Equal(Budget, budget.AvailableBytes);
    }

    [Fact]
    public async Task CoveringByQueueingFailsAtTheDeadlineHoldingNothing()
    {
        using var budget = NewBudget(TimeSpan.FromMilliseconds(200));
        var admission = (await budget.AdmitAsync(4 * 1024, CancellationToken.None))!;
        var others = new List<InFlightBudget.Admission>();
        foreach (var bytes in new[] { 16, 16, 16, 12 })
        {
            others.Add((await budget.AdmitAsync(bytes * 1024, CancellationToken.None))!);
        }

        Assert.False(await admission.CoverAsync(8 * 1024, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(4 * 1024, budget.AvailableBytes);

        admission.Dispose();
        others.ForEach(o => o.Dispose());
        Assert.Equal(Budget, budget.AvailableBytes);
    }
}
