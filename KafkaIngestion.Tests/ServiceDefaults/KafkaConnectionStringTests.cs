using KafkaIngestion.ServiceDefaults.Kafka;

namespace KafkaIngestion.Tests.ServiceDefaults;

public sealed class KafkaConnectionStringTests
{
    [Fact]
    public void APlainBootstrapListBecomesBootstrapServers()
    {
        var properties = KafkaConnectionString.Parse(" broker1:9092,broker2:9092 ");

        Assert.Equal(new Dictionary<string, string> { ["bootstrap.servers"] = "broker1:9092,broker2:9092" }, properties);
    }

    [Fact]
    public void KeyValuePairsBecomeLibrdkafkaProperties()
    {
        var properties = KafkaConnectionString.Parse(
            "bootstrap.servers=broker:9093;security.protocol=SASL_SSL;sasl.mechanism=PLAIN;sasl.username=ingest;sasl.password=\"p;a=ss\"");

        Assert.Equal("broker:9093", properties["bootstrap.servers"]);
        Assert.Equal("SASL_SSL", properties["security.protocol"]);
        Assert.Equal("PLAIN", properties["sasl.mechanism"]);
        Assert.Equal("ingest", properties["sasl.username"]);
        Assert.Equal("p;a=ss", properties["sasl.password"]);
    }

    [Fact]
    public void FormattedPropertiesParseBackToTheSameValues()
    {
        var original = new Dictionary<string, string>
        {
            ["bootstrap.servers"] = "a:9092,b:9092",
            ["sasl.password"] = "has ; and = and \"quotes\"",
        };

        var parsed = KafkaConnectionString.Parse(KafkaConnectionString.Format(original));

        Assert.Equal(original, parsed);
    }

    [Fact]
    public void PropertiesWithoutBootstrapServersAreRefused()
    {
        var error = Assert.Throws<FormatException>(() => KafkaConnectionString.Parse("security.protocol=SSL"));

        Assert.Contains("bootstrap.servers", error.Message, StringComparison.Ordinal);
    }
}
