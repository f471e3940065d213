using KafkaIngestion.Testing.KafkaStandIn.Configuration;

namespace KafkaIngestion.Tests.KafkaStandIn;

public sealed class StandInConfigurationTests
{
    private const string AppHostListeners = "PLAINTEXT://0.0.0.0:9092,PLAINTEXT_INTERNAL://0.0.0.0:9093,CONTROLLER://0.0.0.0:9094";

    private static StandInConfiguration Parse(params (string Name, string Value)[] variables) =>
        StandInConfiguration.Parse(variables.ToDictionary(v => v.Name, v => v.Value), "standin-host");

    private static string ParseError(params (string Name, string Value)[] variables) =>
        Assert.Throws<StandInConfigurationException>(() => Parse(variables)).Message;

    [Fact]
    public void The_AppHost_contract_advertises_each_client_listener_as_told()
    {
        var configuration = Parse(
            ("KAFKA_LISTENERS", AppHostListeners),
            ("KAFKA_ADVERTISED_LISTENERS", "PLAINTEXT://localhost:41234,PLAINTEXT_INTERNAL://kafka:9093"),
            ("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "PLAINTEXT:PLAINTEXT,PLAINTEXT_INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT"),
            ("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER"),
            ("KAFKA_NODE_ID", "1"),
            ("CLUSTER_ID", "4L6g3nShT-eMCtK--X86sw"),
            ("KAFKA_PROCESS_ROLES", "broker,controller"),
            ("KAFKA_LOG_DIRS", "/var/lib/kafka/data"),
            ("PATH", "/usr/bin"));

        Assert.Equal(
            [
                new StandInListener("PLAINTEXT", "0.0.0.0", 9092, "localhost", 41234),
                new StandInListener("PLAINTEXT_INTERNAL", "0.0.0.0", 9093, "kafka", 9093),
                new StandInListener("CONTROLLER", "0.0.0.0", 9094, null, 0),
            ],
            configuration.Listeners);
        Assert.Equal(["PLAINTEXT", "PLAINTEXT_INTERNAL"], configuration.ClientListeners.Select(l => l.Name));
        Assert.Equal("1", configuration.NodeId);
        Assert.Equal("4L6g3nShT-eMCtK--X86sw", configuration.ClusterId);
        Assert.Equal(1, configuration.NumPartitions);
        Assert.Equal(["KAFKA_LOG_DIRS", "KAFKA_PROCESS_ROLES"], configuration.IgnoredVariables);
    }

    [Fact]
    public void A_listener_not_named_in_advertised_listeners_advertises_its_own_address()
    {
        var configuration = Parse(
            ("KAFKA_LISTENERS", "PLAINTEXT://127.0.0.1:9092,OTHER://[::1]:9095"),
            ("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "PLAINTEXT:PLAINTEXT,OTHER:PLAINTEXT"),
            ("KAFKA_ADVERTISED_LISTENERS", "PLAINTEXT://broker:19092"),
            ("KAFKA_NUM_PARTITIONS", "6"));

        Assert.Equal("broker:19092", configuration.Listeners[0].Advertised);
        Assert.Equal(new StandInListener("OTHER", "::1", 9095, "::1", 9095), configuration.Listeners[1]);
        Assert.Equal(6, configuration.NumPartitions);
    }

    [Fact]
    public void An_empty_host_advertises_the_machines_host_name_as_Kafka_does()
    {
        var configuration = Parse(("KAFKA_LISTENERS", "PLAINTEXT://:9092"));

        Assert.Equal(new StandInListener("PLAINTEXT", "", 9092, "standin-host", 9092), Assert.Single(configuration.Listeners));
    }

    [Theory]
    [InlineData("PLAINTEXT://0.0.0.0:9092", null, "non-routable meta-address 0.0.0.0")]
    [InlineData("PLAINTEXT://0.0.0.0:9092", "PLAINTEXT://0.0.0.0:9092", "non-routable meta-address 0.0.0.0")]
    [InlineData("PLAINTEXT://[::]:9092", null, "non-routable meta-address ::")]
    [InlineData("PLAINTEXT://localhost:9092", "OTHER://localhost:9093", "OTHER is not in KAFKA_LISTENERS")]
    [InlineData("PLAINTEXT://localhost:9092,PLAINTEXT://localhost:9093", null, "PLAINTEXT appears more than once")]
    [InlineData("PLAINTEXT://localhost:9092,SSL://localhost:9092", null, "different port")]
    [InlineData("PLAINTEXT://localhost", null, "NAME://host:port")]
    [InlineData("localhost:9092", null, "NAME://host:port")]
    [InlineData("PLAINTEXT://localhost:0", null, "between 1 and 65535")]
    [InlineData("PLAINTEXT://localhost:70000", null, "between 1 and 65535")]
    [InlineData("SSL://localhost:9093", null, "uses SSL")]
    [InlineData("CUSTOM://localhost:9093", null, "no security protocol for listener CUSTOM")]
    public void Listener_errors_are_refused_with_a_clear_message(string listeners, string? advertised, string expected)
    {
        var variables = new List<(string, string)> { ("KAFKA_LISTENERS", listeners) };
        if (advertised is not null)
        {
            variables.Add(("KAFKA_ADVERTISED_LISTENERS", advertised));
        }

        Assert.Contains(expected, ParseError([.. variables]), StringComparison.Ordinal);
    }

    [Fact]
    public void Listeners_are_required()
    {
        Assert.Contains("KAFKA_LISTENERS is required", ParseError(("KAFKA_NODE_ID", "1")), StringComparison.Ordinal);
        Assert.Contains("KAFKA_LISTENERS is required", ParseError(("KAFKA_LISTENERS", "  ")), StringComparison.Ordinal);
    }

    [Fact]
    public void Only_plaintext_protocols_are_served()
    {
        var message = ParseError(
            ("KAFKA_LISTENERS", "CLIENT://localhost:9092"),
            ("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "CLIENT:SASL_SSL"));

        Assert.Contains("CLIENT uses SASL_SSL", message, StringComparison.Ordinal);
        Assert.Contains("PLAINTEXT only", message, StringComparison.Ordinal);
        Assert.Contains("NAME:PROTOCOL", ParseError(
            ("KAFKA_LISTENERS", "CLIENT://localhost:9092"),
            ("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "CLIENT:KERBEROS")), StringComparison.Ordinal);
    }

    [Fact]
    public void A_controller_listener_is_not_advertised_and_may_bind_the_meta_address()
    {
        var configuration = Parse(
            ("KAFKA_LISTENERS", "PLAINTEXT://localhost:9092,CONTROLLER://0.0.0.0:9094"),
            ("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"),
            ("KAFKA_CONTROLLER_LISTENER_NAMES", "controller"));

        Assert.True(configuration.Listeners[1].IsController);
        Assert.Single(configuration.ClientListeners);
        Assert.Contains("nowhere to connect", ParseError(
            ("KAFKA_LISTENERS", "CONTROLLER://0.0.0.0:9094"),
            ("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "CONTROLLER:PLAINTEXT"),
            ("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("KAFKA_NUM_PARTITIONS", "0")]
    [InlineData("KAFKA_NUM_PARTITIONS", "three")]
    [InlineData("KAFKA_NODE_ID", "-1")]
    public void Numbers_are_checked(string variable, string value)
    {
        Assert.Contains(variable, ParseError(("KAFKA_LISTENERS", "PLAINTEXT://localhost:9092"), (variable, value)), StringComparison.Ordinal);
    }
}
