using System.Data.Common;

namespace KafkaIngestion.ServiceDefaults.Kafka;

/// <summary>
/// Reads the <c>kafka</c> connection string the AppHost hands to every service. It is either a
/// plain bootstrap list (<c>host:9092,host2:9092</c>) or librdkafka properties as
/// <c>key=value</c> pairs (<c>bootstrap.servers=…;security.protocol=SASL_SSL;sasl.username=…</c>),
/// so that security settings travel with the address and services never read another
/// configuration source to reach the cluster.
/// </summary>
public static class KafkaConnectionString
{
    public const string BootstrapServersKey = "bootstrap.servers";

    public static IReadOnlyDictionary<string, string> Parse(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);

        if (!connectionString.Contains('=', StringComparison.Ordinal))
        {
            return new Dictionary<string, string> { [BootstrapServersKey] = connectionString.Trim() };
        }

        // DbConnectionStringBuilder handles quoting, so passwords may contain ';' or '='.
        var parsed = new DbConnectionStringBuilder { ConnectionString = connectionString };
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string key in parsed.Keys)
        {
            properties[key.ToLowerInvariant()] = Convert.ToString(parsed[key], System.Globalization.CultureInfo.InvariantCulture) ?? "";
        }

        if (!properties.TryGetValue(BootstrapServersKey, out var servers) || string.IsNullOrWhiteSpace(servers))
        {
            throw new FormatException($"The Kafka connection string has no '{BootstrapServersKey}' value.");
        }

        return properties;
    }

    /// <summary>Writes properties in the form <see cref="Parse"/> reads, quoting values as needed.</summary>
    public static string Format(IEnumerable<KeyValuePair<string, string>> properties)
    {
        var builder = new DbConnectionStringBuilder();
        foreach (var (key, value) in properties)
        {
            builder[key] = value;
        }

        return builder.ConnectionString;
    }
}
