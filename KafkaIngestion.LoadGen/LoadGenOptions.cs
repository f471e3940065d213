using System.ComponentModel.DataAnnotations;
using KafkaIngestion.Http;

namespace KafkaIngestion.LoadGen;

/// <summary>
/// One run of the load generator, bound from <c>LoadGen</c>: from the command line
/// (<see cref="CommandLine"/>), from the dashboard's "Start a load run" command, or from
/// configuration.
/// </summary>
internal sealed class LoadGenOptions : IValidatableObject
{
    public const string Section = "LoadGen";

    public const string ClosedLoop = "closed";
    public const string OpenLoop = "open";
    public const string SimpleFormat = "simple";
    public const string CloudEventsFormat = "cloudevents";
    public const string SocketsClient = "sockets";
    public const string HttpClientClient = "httpclient";
    public const string NoCompression = "none";
    public const string HttpProtocol = "http";
    public const string GrpcProtocol = "grpc";

    /// <summary><c>closed</c>: N events, C at a time, as fast as answered. <c>open</c>: R events/s for D, whatever the answers.</summary>
    [Required, AllowedValues(ClosedLoop, OpenLoop, ErrorMessage = "Mode is closed or open.")]
    public string Mode { get; set; } = ClosedLoop;

    /// <summary>How many events a closed-loop run sends; the original design's figure is 10,000.</summary>
    [Range(1, 100_000_000)]
    public int Events { get; set; } = 10_000;

    /// <summary>Requests in flight at once in a closed-loop run.</summary>
    [Range(1, 10_000)]
    public int Concurrency { get; set; } = 64;

    /// <summary>Events per second an open-loop run sends, on schedule.</summary>
    [Range(1, 10_000_000)]
    public int Rate { get; set; } = 1_000;

    /// <summary>How long an open-loop run sends.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "24:00:00")]
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Most requests an open-loop run keeps in flight. A request due while all are busy waits,
    /// and its wait counts in its latency (it is measured from when it was due).
    /// </summary>
    [Range(1, 10_000)]
    public int MaxInFlight { get; set; } = 512;

    /// <summary><c>simple</c>: the original design's JSON to <c>/register_event</c>. <c>cloudevents</c>: CloudEvents to <c>/events</c>.</summary>
    [Required, AllowedValues(SimpleFormat, CloudEventsFormat, ErrorMessage = "Format is simple or cloudevents.")]
    public string Format { get; set; } = SimpleFormat;

    /// <summary>Events per request; above 1 needs <c>cloudevents</c> (batch mode).</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 1;

    /// <summary>
    /// <c>gzip</c>, <c>br</c> or <c>zstd</c>: every request body is compressed with it (at the
    /// fastest level: the generator shares the machine with what it measures) and sent with that
    /// <c>Content-Encoding</c>. <c>none</c>: bodies go as they are.
    /// </summary>
    [Required, AllowedValues(NoCompression, "gzip", "br", "zstd", ErrorMessage = "Compress is none, gzip, br or zstd.")]
    public string Compress { get; set; } = NoCompression;

    /// <summary>The content coding <see cref="Compress"/> names; identity for <c>none</c>.</summary>
    public ContentCoding Coding => ContentCodings.TryParse(Compress, out var coding) ? coding : ContentCoding.Identity;

    /// <summary>About how many bytes of generated data each event carries.</summary>
    [Range(16, 1_000_000)]
    public int PayloadBytes { get; set; } = 256;

    /// <summary>How many distinct partition keys the events spread over.</summary>
    [Range(1, 100_000_000)]
    public int Keys { get; set; } = 1_000;

    /// <summary>
    /// The API's base address. A service name (the AppHost sets <c>http://api</c>) is resolved
    /// through service discovery; the default suits a terminal next to a running AppHost.
    /// </summary>
    [Required]
    public Uri TargetUrl { get; set; } = new("http://localhost:5080");

    /// <summary>Sent as <c>X-Api-Key</c> when set; the AppHost hands over the API's key.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// <c>sockets</c>: the generator's own lean HTTP/1.1 client for http targets (HttpClient for
    /// https). <c>httpclient</c>: HttpClient always, to compare the two.
    /// </summary>
    [Required, AllowedValues(SocketsClient, HttpClientClient, ErrorMessage = "Client is sockets or httpclient.")]
    public string Client { get; set; } = SocketsClient;

    /// <summary>
    /// <c>http</c>: the HTTP API (<see cref="Format"/>, <see cref="BatchSize"/>). <c>grpc</c>: the
    /// gRPC service at <see cref="GrpcTargetUrl"/> with CloudEvent messages: single events over
    /// bidirectional PublishStream calls (the <see cref="Concurrency"/> events in flight spread
    /// over up to 8 streams), batches as PublishBatch calls.
    /// </summary>
    [Required, AllowedValues(HttpProtocol, GrpcProtocol, ErrorMessage = "Protocol is http or grpc.")]
    public string Protocol { get; set; } = HttpProtocol;

    /// <summary>HTTP requests over cleartext HTTP/2 (h2c, prior knowledge) to <see cref="GrpcTargetUrl"/>, through HttpClient.</summary>
    public bool Http2 { get; set; }

    /// <summary>
    /// The API's cleartext HTTP/2 address, for gRPC and <see cref="Http2"/>. The AppHost sets
    /// <c>http://_grpc.api</c> (service discovery of the api's grpc endpoint).
    /// </summary>
    [Required]
    public Uri GrpcTargetUrl { get; set; } = new("http://localhost:5082");

    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many times a request with no answer, a timeout, a 429 or a 5xx is sent again, with the
    /// same events and ids (so a resend of an event the API did take is harmless downstream).
    /// 0 measures the system as it is; more shows what a well-behaved client sees across faults.
    /// </summary>
    [Range(0, 1_000)]
    public int Retries { get; set; }

    /// <summary>After sending, check with the consumer that every accepted event was stored exactly once.</summary>
    public bool Verify { get; set; } = true;

    /// <summary>The consumer's base address, asked which events it stored.</summary>
    [Required]
    public Uri ConsumerUrl { get; set; } = new("http://localhost:5081");

    /// <summary>Longest wait for the consumer to store the run; events still missing then are lost.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan VerifyTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Where the JSON and Markdown reports go (one pair per run).</summary>
    [Required]
    public string ReportDirectory { get; set; } = "loadgen-reports";

    /// <summary>Whether requests go to <see cref="GrpcTargetUrl"/> (gRPC, or HTTP over h2c).</summary>
    public bool UsesHttp2Endpoint => Protocol == GrpcProtocol || Http2;

    /// <summary>The endpoint requests go to.</summary>
    public string Path => Format == CloudEventsFormat ? "events" : "register_event";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BatchSize > 1 && Format != CloudEventsFormat && Protocol == HttpProtocol)
        {
            yield return new ValidationResult(
                $"A batch size of {BatchSize} needs the cloudevents format: /register_event takes one event per request.",
                [nameof(BatchSize), nameof(Format)]);
        }

        if (Protocol == GrpcProtocol && Compress != NoCompression)
        {
            yield return new ValidationResult(
                $"--compress {Compress} applies to HTTP bodies; gRPC messages are sent as they are.",
                [nameof(Compress), nameof(Protocol)]);
        }

        if (Mode == ClosedLoop && Events < BatchSize)
        {
            yield return new ValidationResult($"{Events} events do not fill one batch of {BatchSize}.", [nameof(Events), nameof(BatchSize)]);
        }

        if (Mode == OpenLoop && (double)Rate / BatchSize * Duration.TotalSeconds < 1)
        {
            yield return new ValidationResult(
                $"{Rate} events/s for {Duration.TotalSeconds:F0} s in batches of {BatchSize} is not one request.",
                [nameof(Rate), nameof(Duration), nameof(BatchSize)]);
        }
    }

    /// <summary>Every problem with these options, by option name; empty when they are valid.</summary>
    public Dictionary<string, string[]> Problems()
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true);
        return results
            .SelectMany(r => (r.MemberNames.Any() ? r.MemberNames : [""]).Select(member => (member, message: r.ErrorMessage ?? "is invalid")))
            .GroupBy(p => p.member, p => p.message)
            .ToDictionary(g => g.Key, g => g.Distinct().ToArray());
    }

    /// <summary>A copy to change for one run, leaving the configured defaults as they are.</summary>
    public LoadGenOptions Copy() => (LoadGenOptions)MemberwiseClone();
}
