using KafkaIngestion.Events;

namespace KafkaIngestion.Tests.Events;

/// <summary>Every attribute of an event read back from a record, against the event written.</summary>
internal static class EventAssert
{
    public static void SameEvent(IngestEvent expected, IngestEvent? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Type, actual.Type);
        Assert.Equal(expected.Source, actual.Source);
        Assert.Equal(expected.Key, actual.Key);
        Assert.Equal(expected.Time, actual.Time);
        Assert.Equal(expected.Subject, actual.Subject);
        Assert.Equal(expected.DataSchema, actual.DataSchema);
        Assert.Equal(expected.DataContentType, actual.DataContentType);
        Assert.Equal(expected.Extensions, actual.Extensions);
        Assert.Equal(expected.Data, actual.Data);
    }
}
