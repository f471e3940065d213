using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace KafkaIngestion.LoadGen;

/// <summary>
/// A run asked for over HTTP (by the dashboard's "Start a load run" command); every field is
/// optional and defaults to the configured <c>LoadGen</c> options.
/// </summary>
internal sealed record RunRequest(
    string? Mode = null,
    int? Events = null,
    int? Concurrency = null,
    int? Rate = null,
    double? DurationSeconds = null,
    string? Format = null,
    int? BatchSize = null,
    int? PayloadBytes = null,
    int? Keys = null,
    int? Retries = null,
    bool? Verify = null,
    string? Compress = null,
    string? Protocol = null,
    bool? Http2 = null);

/// <param name="Summary">For the dashboard: the run id and what it will do.</param>
internal sealed record RunStarted(string RunId, string Plan, string Summary);

internal sealed record RunProgress(string RunId, long Events, long Accepted, long Rejected);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RunRequest))]
[JsonSerializable(typeof(RunStarted))]
[JsonSerializable(typeof(RunProgress))]
[JsonSerializable(typeof(LoadReport))]
internal sealed partial class RunsJsonContext : JsonSerializerContext;

/// <summary>
/// The load generator as a service in the AppHost: idle until the dashboard starts a run, one
/// run at a time, stoppable, with the last report kept for the asking.
/// </summary>
internal static class RunsApi
{
    public static IEndpointRouteBuilder MapRunsApi(this IEndpointRouteBuilder app)
    {
        var runs = app.MapGroup("/runs").WithTags("Runs");
        runs.MapPost("", StartRun).WithName("StartRun");
        runs.MapPost("/stop", StopRun).WithName("StopRun");
        runs.MapGet("/current", GetCurrentRun).WithName("GetCurrentRun");
        runs.MapGet("/last", GetLastReport).WithName("GetLastReport");
        return app;
    }

    public static Results<Accepted<RunStarted>, ValidationProblem, ProblemHttpResult> StartRun(RunRequest? request, RunCoordinator coordinator, IOptions<LoadGenOptions> defaults)
    {
        var settings = defaults.Value.Copy();
        if (request is not null)
        {
            settings.Mode = request.Mode ?? settings.Mode;
            settings.Events = request.Events ?? settings.Events;
            settings.Concurrency = request.Concurrency ?? settings.Concurrency;
            settings.Rate = request.Rate ?? settings.Rate;
            // A duration TimeSpan cannot hold (NaN, negative, huge) becomes one validation refuses.
            settings.Duration = request.DurationSeconds switch
            {
                null => settings.Duration,
                >= 0 and < 1e6 and var seconds => TimeSpan.FromSeconds(seconds),
                _ => TimeSpan.MaxValue,
            };
            settings.Format = request.Format ?? settings.Format;
            settings.BatchSize = request.BatchSize ?? settings.BatchSize;
            settings.PayloadBytes = request.PayloadBytes ?? settings.PayloadBytes;
            settings.Keys = request.Keys ?? settings.Keys;
            settings.Retries = request.Retries ?? settings.Retries;
            settings.Verify = request.Verify ?? settings.Verify;
            settings.Compress = request.Compress ?? settings.Compress;
            settings.Protocol = request.Protocol ?? settings.Protocol;
            settings.Http2 = request.Http2 ?? settings.Http2;
        }

        if (settings.Problems() is { Count: > 0 } problems)
        {
            return TypedResults.ValidationProblem(problems, title: "This run cannot start");
        }

        return coordinator.TryStart(settings) is { } runId
            ? TypedResults.Accepted("/runs/current", new RunStarted(runId, Plan(settings), $"Run {runId} started: {Plan(settings)}. Its report is in the loadgen logs and at /runs/last."))
            : TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "A run is going on",
                detail: "Stop it first (POST /runs/stop, or the dashboard's \"Stop the load run\"), or wait for its report.");
    }

    public static Results<Accepted, ProblemHttpResult> StopRun(RunCoordinator coordinator) =>
        coordinator.Stop()
            ? TypedResults.Accepted((string?)null)
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No run is going on");

    public static Results<Ok<RunProgress>, NotFound> GetCurrentRun(RunCoordinator coordinator) =>
        coordinator.Current is { } current ? TypedResults.Ok(current) : TypedResults.NotFound();

    public static Results<Ok<LoadReport>, NotFound> GetLastReport(RunCoordinator coordinator) =>
        coordinator.LastReport is { } report ? TypedResults.Ok(report) : TypedResults.NotFound();

    private static string Plan(LoadGenOptions s) => s.Mode == LoadGenOptions.OpenLoop
        ? $"open loop: {s.Rate} events/s for {s.Duration.TotalSeconds:F0} s, {What(s)} in requests of {s.BatchSize}{Retrying(s)}"
        : $"closed loop: {s.Events} events, {s.Concurrency} requests at a time, {What(s)} in requests of {s.BatchSize}{Retrying(s)}";

    private static string What(LoadGenOptions s) =>
        s.Protocol == LoadGenOptions.GrpcProtocol ? "gRPC" : s.Http2 ? $"{s.Format} over h2c" : s.Format;

    private static string Retrying(LoadGenOptions s) =>
        (s.Compress == LoadGenOptions.NoCompression ? "" : $", {s.Compress}-compressed") + (s.Retries > 0 ? $", up to {s.Retries} retries" : "");
}

/// <summary>Holds the one run that may go on at a time, and the last report.</summary>
internal sealed partial class RunCoordinator(LoadSession session, IHostApplicationLifetime lifetime, ILogger<RunCoordinator> logger)
{
    private readonly Lock _gate = new();
    private (string RunId, RunStats Stats, CancellationTokenSource Stop)? _current;

    public LoadReport? LastReport { get; private set; }

    public RunProgress? Current
    {
        get
        {
            var current = _current;
            return current is { } c ? new RunProgress(c.RunId, c.Stats.AnsweredEvents, c.Stats.Accepted, c.Stats.Rejected) : null;
        }
    }

    /// <returns>The new run's id, or null when a run is going on.</returns>
    public string? TryStart(LoadGenOptions settings)
    {
        lock (_gate)
        {
            if (_current is not null)
            {
                return null;
            }

            var runId = LoadSession.NewRunId();
            var stop = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping);
            var stats = new RunStats(settings.Verify);
            _current = (runId, stats, stop);
            _ = Task.Run(async () =>
            {
                try
                {
                    LastReport = await session.RunAsync(settings, runId, stats, terminal: false, stop.Token);
                }
                catch (Exception ex)
                {
                    // The run cannot report (e.g. the target's name does not resolve): say so, and free the slot.
                    LogRunFailed(logger, ex, runId);
                }
                finally
                {
                    lock (_gate)
                    {
                        _current = null;
                    }

                    stop.Dispose();
                }
            });
            return runId;
        }
    }

    public bool Stop()
    {
        lock (_gate)
        {
            if (_current is not { } current)
            {
                return false;
            }

            current.Stop.Cancel();
            return true;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {RunId} failed before it could report")]
    private static partial void LogRunFailed(ILogger logger, Exception exception, string runId);
}
