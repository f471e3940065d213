using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace KafkaIngestion.LoadGen;

/// <summary>The load generator's registrations and its two ways to run, called from Program.cs.</summary>
internal static class LoadGenExtensions
{
    private const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Socket completions run on the socket engine's own threads instead of being handed to the
    /// thread pool, as wrk runs its connections on its own event loops: the generator's work per
    /// answer is short and never blocks, and the hand-off (a wake-up and a context switch per answer)
    /// is most of what it costs beyond the kernel's own networking. The runtime reads this once, when
    /// the first socket is used, so it is set before anything else; a value in the environment wins.
    /// </summary>
    public static void UseInlineSocketCompletions()
    {
        if (Environment.GetEnvironmentVariable(InlineCompletions) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletions, "1");
        }
    }

    /// <summary>Answers <c>--help</c> (exit code 0) and flags it does not know (2); null when there is a run to make.</summary>
    public static int? AnswerWithoutRunning(this ParsedCommandLine commandLine)
    {
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

        return null;
    }

    /// <summary>The generator, its options (validated at start) and the verifier.</summary>
    public static void AddLoadGen(this IHostApplicationBuilder builder)
    {
        // HttpClient's own per-request metrics (System.Net.Http) would be recorded for every request of
        // the load; the generator's meter already measures them, so those instruments stay off.
        builder.Services.ConfigureOpenTelemetryMeterProvider(metrics =>
            metrics.AddView(instrument => instrument.Meter.Name == "System.Net.Http" ? MetricStreamConfiguration.Drop : null));
        builder.Services.AddOptions<LoadGenOptions>()
            .BindConfiguration(LoadGenOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<LoadGenOptions>, LoadGenOptionsValidator>();
        builder.Services.AddSingleton<LoadRunner>();
        builder.Services.AddSingleton<Verifier>();
        builder.Services.AddSingleton<LoadSession>();
    }

    /// <summary>As a service (in the AppHost): runs start and stop on the dashboard's commands.</summary>
    public static void AddRunsApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton<RunCoordinator>();
        builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, RunsJsonContext.Default));
    }

    /// <summary>As a service: the runs API beside the health endpoints.</summary>
    public static void MapLoadGenService(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.MapRunsApi();
        app.MapDefaultEndpoints();
    }

    /// <summary>The configured options, or null after saying what is wrong with them.</summary>
    /// <param name="describe">How the problems are written, all at once (the messages are those of <see cref="LoadGenOptions.Problems"/>).</param>
    public static LoadGenOptions? ValidLoadGenOptions(this IServiceProvider services, Action<IEnumerable<string>> describe)
    {
        try
        {
            // The first read validates (LoadGenOptionsValidator): caught here, not as a crash at start.
            return services.GetRequiredService<IOptions<LoadGenOptions>>().Value;
        }
        catch (OptionsValidationException ex)
        {
            describe(ex.Failures);
            return null;
        }
    }

    /// <summary>From a terminal: one run, its report on standard output, and the verdict as the exit code.</summary>
    public static async Task<int> RunOnceAsync(this IHost host, LoadGenOptions settings)
    {
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
    }
}
