using System.Globalization;
using System.Text.RegularExpressions;

namespace KafkaIngestion.Testing.KafkaStandIn.Configuration;

/// <summary>One entry of <c>listeners</c> or <c>advertised.listeners</c>: <c>NAME://host:port</c>.</summary>
internal sealed partial record ListenerAddress(string Name, string Host, int Port)
{
    /// <summary>Parses a comma-separated list; names are upper-cased, as Kafka normalises them.</summary>
    public static IReadOnlyList<ListenerAddress> ParseList(string variable, string value)
    {
        var result = new List<ListenerAddress>();
        foreach (var entry in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var match = EntryPattern().Match(entry);
            if (!match.Success)
            {
                throw new StandInConfigurationException($"{variable}: '{entry}' is not of the form NAME://host:port.");
            }

            var name = match.Groups["name"].Value.ToUpperInvariant();
            var host = match.Groups["host"].Value.Trim('[', ']');
            if (!int.TryParse(match.Groups["port"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                throw new StandInConfigurationException($"{variable}: '{entry}' has no port between 1 and 65535.");
            }

            if (result.Any(existing => existing.Name == name))
            {
                throw new StandInConfigurationException($"{variable}: listener name {name} appears more than once.");
            }

            result.Add(new ListenerAddress(name, host, port));
        }

        return result;
    }

    public override string ToString() => $"{Name}://{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{Port}";

    [GeneratedRegex(@"^(?<name>[A-Za-z0-9_]+)://(?<host>\[[0-9A-Fa-f:.]*\]|[^:/\[\]]*):(?<port>[0-9]+)$")]
    private static partial Regex EntryPattern();
}
