using KafkaIngestion.LoadGen;

LoadGenExtensions.UseInlineSocketCompletions();

var commandLine = CommandLine.Parse(args);
if (commandLine.AnswerWithoutRunning() is { } exitCode)
{
    return exitCode;
}

// In the AppHost (LoadGen:Serve=true) the generator is a service that waits for the
// dashboard's commands; from a terminal it runs once and exits with the verdict.
var builder = WebApplication.CreateSlimBuilder();
builder.Configuration.AddInMemoryCollection(commandLine.Settings);
builder.AddServiceDefaults();
builder.AddLoadGen();

if (builder.Configuration.GetValue<bool>("LoadGen:Serve"))
{
    builder.AddRunsApi();
    var app = builder.Build();
    if (app.Services.ValidLoadGenOptions(problems => Console.Error.WriteLine($"Invalid LoadGen configuration: {string.Join("; ", problems)}")) is null)
    {
        return 2;
    }

    app.MapLoadGenService();
    await app.RunAsync();
    return 0;
}

using var host = builder.Build();
var settings = host.Services.ValidLoadGenOptions(problems =>
    Console.Error.WriteLine(string.Join(Environment.NewLine, [.. problems, "Run with --help to see the options."])));
return settings is null ? 2 : await host.RunOnceAsync(settings);
