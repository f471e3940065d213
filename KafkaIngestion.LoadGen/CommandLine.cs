using System.Text;

namespace KafkaIngestion.LoadGen;

/// <summary>What the command line asked for.</summary>
/// <param name="Settings">Configuration keys (<c>LoadGen:Rate</c>, …) and their values, for the options binder.</param>
/// <param name="Errors">Unknown options and options without a value, in words.</param>
internal sealed record ParsedCommandLine(IReadOnlyDictionary<string, string?> Settings, bool ShowHelp, IReadOnlyList<string> Errors);

/// <summary>
/// The terminal interface: short, documented flags mapped onto the <c>LoadGen</c> options, so
/// the same binding and validation serve the terminal, the dashboard and configuration.
/// </summary>
internal static class CommandLine
{
    private sealed record Flag(string Name, string Key, string Value, string Help, bool IsSwitch = false, string SwitchValue = "false");

    private static readonly Flag[] Flags =
    [
        new("--mode", nameof(LoadGenOptions.Mode), "closed|open", "closed: send --events with --concurrency requests at a time, as fast as answered. open: send --rate events/s for --duration on schedule (latency counts from when each was due). Default closed."),
        new("--events", nameof(LoadGenOptions.Events), "N", "Events a closed-loop run sends. Default 10000."),
        new("--concurrency", nameof(LoadGenOptions.Concurrency), "C", "Requests in flight at once, closed loop. Default 64."),
        new("--rate", nameof(LoadGenOptions.Rate), "R", "Events per second, open loop. Default 1000."),
        new("--duration", nameof(LoadGenOptions.Duration), "D", "How long an open-loop run sends, as hh:mm:ss or seconds with s (30s). Default 30s."),
        new("--max-in-flight", nameof(LoadGenOptions.MaxInFlight), "M", "Most requests in flight, open loop; beyond it requests wait and the wait counts. Default 512."),
        new("--format", nameof(LoadGenOptions.Format), "simple|cloudevents", "simple: JSON to /register_event. cloudevents: CloudEvents to /events. Default simple."),
        new("--batch", nameof(LoadGenOptions.BatchSize), "B", "Events per request (cloudevents batch mode above 1). Default 1."),
        new("--compress", nameof(LoadGenOptions.Compress), "none|gzip|br|zstd", "Compress every request body with this coding (fastest level) and send it with Content-Encoding. Default none."),
        new("--payload-bytes", nameof(LoadGenOptions.PayloadBytes), "BYTES", "About how much data each event carries. Default 256."),
        new("--keys", nameof(LoadGenOptions.Keys), "K", "Distinct partition keys the events spread over. Default 1000."),
        new("--target", nameof(LoadGenOptions.TargetUrl), "URL", "The API's base address. Default http://localhost:5080."),
        new("--api-key", nameof(LoadGenOptions.ApiKey), "KEY", "Sent as X-Api-Key (see the README for the AppHost's key). Default none."),
        new("--protocol", nameof(LoadGenOptions.Protocol), "http|grpc", "http: the HTTP API. grpc: CloudEvent messages to the gRPC service at --grpc-target, single events over PublishStream (--concurrency in flight over up to 8 streams), --batch above 1 as PublishBatch calls. Default http."),
        new("--http2", nameof(LoadGenOptions.Http2), "", "HTTP requests over cleartext HTTP/2 (h2c) to --grpc-target, through HttpClient.", IsSwitch: true, SwitchValue: "true"),
        new("--grpc-target", nameof(LoadGenOptions.GrpcTargetUrl), "URL", "The API's cleartext HTTP/2 (and gRPC) address. Default http://localhost:5082."),
        new("--client", nameof(LoadGenOptions.Client), "sockets|httpclient", "sockets: the generator's lean HTTP/1.1 client for http targets (HttpClient for https). httpclient: HttpClient always. Default sockets."),
        new("--timeout", nameof(LoadGenOptions.RequestTimeout), "T", "Longest wait for one answer. Default 30s."),
        new("--retries", nameof(LoadGenOptions.Retries), "N", "Send a request again, same ids, after no answer, a timeout, 429 or 5xx, up to N times (Retry-After or backoff from 100 ms to 2 s). Default 0."),
        new("--consumer", nameof(LoadGenOptions.ConsumerUrl), "URL", "The consumer's base address, for verification. Default http://localhost:5081."),
        new("--no-verify", nameof(LoadGenOptions.Verify), "", "Do not check that every accepted event was stored exactly once.", IsSwitch: true),
        new("--verify-timeout", nameof(LoadGenOptions.VerifyTimeout), "T", "Longest wait for the consumer to store the run; what is missing then is lost. Default 60s."),
        new("--report-dir", nameof(LoadGenOptions.ReportDirectory), "DIR", "Where the run's JSON and Markdown reports go. Default ./loadgen-reports."),
    ];

    public static ParsedCommandLine Parse(IReadOnlyList<string> args)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var errors = new List<string>();
        var help = false;
        for (var i = 0; i < args.Count; i++)
        {
            var (name, inlineValue) = args[i].Split('=', 2) is [var n, var v] && n.StartsWith("--", StringComparison.Ordinal) ? (n, v) : (args[i], null);
            if (name is "--help" or "-h" or "-?")
            {
                help = true;
                continue;
            }

            if (name.StartsWith("--" + LoadGenOptions.Section + ":", StringComparison.OrdinalIgnoreCase))
            {
                // Configuration syntax (--LoadGen:Rate 500) still works, for scripts written before the flags.
                settings[name[2..]] = inlineValue ?? (i + 1 < args.Count ? args[++i] : null);
                continue;
            }

            var flag = Array.Find(Flags, f => f.Name == name);
            if (flag is null)
            {
                errors.Add($"Unknown option {args[i]}. Run with --help to see the options.");
                continue;
            }

            string? value;
            if (flag.IsSwitch)
            {
                value = flag.SwitchValue;
            }
            else if (inlineValue is not null)
            {
                value = inlineValue;
            }
            else if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                value = args[++i];
            }
            else
            {
                errors.Add($"{flag.Name} needs a value ({flag.Value}).");
                continue;
            }

            settings[$"{LoadGenOptions.Section}:{flag.Key}"] = IsTimeSpan(flag.Key) ? NormalizeDuration(value) : value;
        }

        return new ParsedCommandLine(settings, help, errors);
    }

    /// <summary>Every flag, what it does and its default: printed by <c>--help</c>.</summary>
    public static string HelpText()
    {
        var text = new StringBuilder();
        text.AppendLine("KafkaIngestion load generator: sends events to the ingestion API, measures the answers, then checks");
        text.AppendLine("with the consumer that every accepted event was stored exactly once (exit code 1 if any was lost).");
        text.AppendLine();
        text.AppendLine("Usage: dotnet run --project KafkaIngestion.LoadGen -- [options]");
        text.AppendLine();
        text.AppendLine("Options:");
        var width = Flags.Max(f => f.Name.Length + f.Value.Length) + 3;
        foreach (var flag in Flags)
        {
            text.Append("  ").Append($"{flag.Name} {flag.Value}".PadRight(width)).AppendLine(flag.Help);
        }

        text.Append("  ").Append("--help".PadRight(width)).AppendLine("Show this text.");
        text.AppendLine();
        text.AppendLine("Examples:");
        text.AppendLine("  closed loop, the original design's run:   --events 10000 --concurrency 64");
        text.AppendLine("  open loop, 5,000 events/s for a minute:   --mode open --rate 5000 --duration 60s");
        text.AppendLine("  CloudEvents batches of 500:               --format cloudevents --batch 500 --events 1000000");
        text.AppendLine("  the same, gzip-compressed:                --format cloudevents --batch 500 --events 1000000 --compress gzip");
        text.AppendLine("  single events over gRPC streams:          --protocol grpc --events 1000000 --concurrency 1024");
        text.AppendLine();
        text.AppendLine("Exit codes: 0 every event accepted (and stored, when verifying); 1 some were not or some were lost;");
        text.AppendLine("2 invalid options.");
        return text.ToString();
    }

    private static bool IsTimeSpan(string key) =>
        key is nameof(LoadGenOptions.Duration) or nameof(LoadGenOptions.RequestTimeout) or nameof(LoadGenOptions.VerifyTimeout);

    /// <summary>"30s", "5m", "250ms" or a bare number of seconds become hh:mm:ss for the binder; anything else is left for it to refuse.</summary>
    internal static string NormalizeDuration(string value)
    {
        static string? Scaled(string number, double toSeconds) =>
            double.TryParse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= 0
                ? TimeSpan.FromSeconds(n * toSeconds).ToString("c", System.Globalization.CultureInfo.InvariantCulture)
                : null;

        var trimmed = value.Trim();
        return (trimmed.EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? Scaled(trimmed[..^2], 0.001)
            : trimmed.EndsWith('s') ? Scaled(trimmed[..^1], 1)
            : trimmed.EndsWith('m') ? Scaled(trimmed[..^1], 60)
            : trimmed.EndsWith('h') ? Scaled(trimmed[..^1], 3600)
            : Scaled(trimmed, 1)) ?? value;
    }
}
