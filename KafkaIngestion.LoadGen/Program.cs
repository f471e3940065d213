using KafkaIngestion.LoadGen;
using OpenTelemetry.Metrics;

// Socket completions run on the socket engine's own threads instead of being handed to the
// thread pool, as wrk runs its connections on its own event loops: the generator's work per
// answer is short and never blocks, and the hand-off (a wake-up and a context switch per answer)
// is most of what it costs beyond the kernel's own networking. The runtime reads this once, when
// the first socket is used, so it is set before anything else; a value in the environment wins.
const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
if (Environment.GetEnvironmentVariable(InlineCompletions) is null)
{
    Environment.SetEnvironmentVariable(InlineCompletions, "1");
}

var commandLine = CommandLine.Parse(args);
if (commandLine.ShowHelp)
{
    Console.Out.Write(CommandLine.HelpText());
    return 0;
}

if (commandLine.Errors.Count > 0)
{
    commandLine.Errors.ToList().ForEach(Console.Error.WriteLine);
    return 2;
}

// In the AppHost (LoadGen:Serve=true) the generator is a service that waits for the
// dashboard's commands; from a terminal it runs once and exits with the verdict.
var builder = WebApplication.CreateSlimBuilder();
builder.Configuration.AddInMemoryCollection(commandLine.Settings);
var serve = builder.Configuration.GetValue<bool>("LoadGen:Serve");

builder.AddServiceDefaults();
// HttpClient's own per-request metrics (System.Net.Http) would be recorded for every request of
// the load; the generator's meter already measures them, so those instruments stay off.
builder.Services.ConfigureOpenTelemetryMeterProvider(metrics =>
    metrics.AddView(instrument => instrument.Meter.Name == "System.Net.Http" ? MetricStreamConfiguration.Drop : null));
builder.Services.AddOptions<LoadGenOptions>().BindConfiguration(LoadGenOptions.Section);
builder.Services.AddSingleton<LoadRunner>();
builder.Services.AddSingleton<Verifier>();
builder.Services.AddSingleton<LoadSession>();

if (serve)
{
    builder.Services.AddProblemDetails();
    builder.Services.AddSingleton<RunCoordinator>();
    builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, RunsJsonContext.Default));
    var app = builder.Build();
    if (app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<LoadGenOptions>>().Value.Problems() is { Count: > 0 } invalid)
    {
        Console.Error.WriteLine($"Invalid LoadGen configuration: {string.Join("; ", invalid.SelectMany(p => p.Value))}");
        return 2;
    }

    app.UseExceptionHandler();
    app.MapRunsApi();
    app.MapDefaultEndpoints();
    await app.RunAsync();
    return 0;
}

using var host = builder.Build();
var settings = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<LoadGenOptions>>().Value;
if (settings.Problems() is { Count: > 0 } problems)
{
    foreach (var problem in problems.SelectMany(p => p.Value))
    {
        Console.Error.WriteLine(problem);
    }

    Console.Error.WriteLine("Run with --help to see the options.");
    return 2;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Ctrl+C stops sending; the report still covers what was answered.
    e.Cancel = true;
    stop.Cancel();
};

var report = await host.Services.GetRequiredService<LoadSession>().RunAsync(
    settings, LoadSession.NewRunId(), new RunStats(settings.Verify), terminal: !Console.IsErrorRedirected, stop.Token);
Console.Out.Write(ReportWriter.Markdown(report));
return report.Succeeded ? 0 : 1;
