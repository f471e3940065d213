using KafkaIngestion.LoadGen;

// Runs once and exits: the AppHost starts it on demand from the dashboard
// (WithExplicitStart), and the exit code says whether every event was accepted.
var builder = Host.CreateApplicationBuilder(args);

builder.AddServiceDefaults();
builder.Services.AddOptions<LoadGenOptions>()
    .BindConfiguration(LoadGenOptions.Section)
    .ValidateDataAnnotations()
    .ValidateOnStart();
builder.Services.AddSingleton<LoadRunner>();

using var host = builder.Build();
await host.StartAsync();

var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("KafkaIngestion.LoadGen");
var report = await host.Services.GetRequiredService<LoadRunner>().RunAsync(lifetime.ApplicationStopping);

ReportLog.Summary(logger, report.RunId, report.Sent, report.Accepted, report.Rejected, report.Failed,
    report.Elapsed.TotalSeconds, report.EventsPerSecond);
ReportLog.Latency(logger, report.Latency.P50, report.Latency.P90, report.Latency.P99, report.Latency.P999, report.Latency.Max);
foreach (var (code, count) in report.StatusCodes.OrderBy(s => s.Key))
{
    ReportLog.Status(logger, code, count);
}

foreach (var (kind, count) in report.Errors)
{
    ReportLog.Error(logger, kind, count);
}

await host.StopAsync();
return report.Succeeded ? 0 : 1;
