using System.Text.Json;
using HdrHistogram;
using KafkaIngestion.Api.Input;
using KafkaIngestion.LoadGen;

namespace KafkaIngestion.Tests.LoadGen;

public sealed class LoadRunnerTests
{
    [Fact]
    public void GeneratedEventsAreValidRegisterEventRequests()
    {
        var body = LoadRunner.EventBody("run1", 1234, keys: 10);

        var read = EventJsonReader.ReadSingle(body, EventJsonShape.Simple, new EventDefaults("/s", DateTimeOffset.UnixEpoch, 1024));

        Assert.Empty(read.Problems.ToDictionary());
        var ingestEvent = Assert.Single(read.Events)!;
        Assert.Equal(LoadRunner.EventId("run1", 1234), ingestEvent.Id);
        Assert.Equal("key-4", ingestEvent.Key);
        Assert.Equal(1234, JsonDocument.Parse(ingestEvent.Data).RootElement.GetProperty("sequence").GetInt32());
    }

    [Fact]
    public void EventIdsOfARunAreDistinctAndCarryTheRunId()
    {
        var ids = Enumerable.Range(0, 10_000).Select(i => LoadRunner.EventId("abc", i)).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id => Assert.StartsWith("abc-", id, StringComparison.Ordinal));
    }

    [Fact]
    public void PercentilesAreReadFromTheHistogramInMilliseconds()
    {
        var histogram = new LongHistogram(60_000_000, 3);
        for (var microseconds = 1_000; microseconds <= 100_000; microseconds += 1_000)
        {
            histogram.RecordValue(microseconds); // 1 ms … 100 ms, evenly
        }

        var summary = LatencySummary.From(histogram);

        Assert.Equal(50, summary.P50, precision: 0);
        Assert.Equal(90, summary.P90, precision: 0);
        Assert.Equal(99, summary.P99, precision: 0);
        Assert.Equal(100, summary.Max, precision: 0);
    }

    [Fact]
    public void AnEmptyRunHasZeroLatencies()
    {
        Assert.Equal(new LatencySummary(0, 0, 0, 0, 0), LatencySummary.From(new LongHistogram(1_000, 3)));
    }
}
