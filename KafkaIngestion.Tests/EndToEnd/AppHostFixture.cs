using KafkaIngestion.ConsumerApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KafkaIngestion.Tests.EndToEnd;

/// <summary>
/// One real AppHost for the whole collection: the embedded broker, and the api and consumer
/// as real processes started by the orchestrator. Started once, because that takes ~20 s.
/// </summary>
public class AppHostFixture : IAsyncLifetime, IDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"kafkaingestion-tests-{Guid.NewGuid():N}");
    private DistributedApplication? _app;
    private readonly CancellationTokenSource _logsStopped = new();
    private readonly System.Collections.Concurrent.ConcurrentBag<Task> _logTasks = [];

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The AppHost has not started.");

    /// <summary>The API, with the AppHost's generated key in X-Api-Key.</summary>
    public HttpClient Api { get; private set; } = null!;

    /// <summary>The API with no key: what an anonymous client gets.</summary>
    public HttpClient AnonymousApi { get; private set; } = null!;

    public string ApiKey { get; private set; } = "";

    /// <summary>The API's own port for this run (the real system uses 5080).</summary>
    public int ApiPort { get; } = FreePort();

    /// <summary>The API's cleartext HTTP/2 (gRPC) port for this run (the real system uses 5082).</summary>
    public int ApiGrpcPort { get; } = FreePort();

    /// <summary>The API's cleartext HTTP/2 (gRPC) address.</summary>
    public Uri ApiGrpc => new($"http://localhost:{ApiGrpcPort}");

    /// <summary>The embedded broker's fixed address for Kafka tools in this run (the real system uses 9092).</summary>
    public int KafkaToolsPort { get; } = FreePort();

    /// <summary>The consumer's SQLite store.</summary>
    public string StorePath => Path.Combine(_dataDirectory, "events.db");

    /// <summary>The store the consumer writes to, for scenarios that refuse events, take it away or count its rows.</summary>
    public virtual IStoreUnderTest Store => new SqliteStoreUnderTest(StorePath);

    public HttpClient Consumer { get; private set; } = null!;

    /// <summary>The load generator's runs API (what the dashboard's commands call).</summary>
    public HttpClient LoadGen { get; private set; } = null!;

    /// <summary>AppHost settings a fixture for another collection adds (e.g. more consumer replicas).</summary>
    protected virtual IEnumerable<string> MoreSettings => [];

    /// <summary>The connection string the services were given.</summary>
    public string KafkaConnectionString { get; private set; } = "";

    /// <summary>Changes a fixture makes to the app model before it is built (e.g. a volume of its own).</summary>
    protected virtual void ConfigureModel(IDistributedApplicationTestingBuilder builder)
    {
    }

    /// <summary>False for a fixture whose tests are all skipped in this run: it then starts nothing.</summary>
    protected virtual bool Needed => true;

    public virtual async Task InitializeAsync()
    {
        if (!Needed)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.KafkaIngestion_AppHost>(
            [
                // No developer certificate on build machines: use the http profile.
                "DOTNET_LAUNCH_PROFILE=http",
                // The tests need the embedded broker whatever the machine has (and can take it down).
                "Kafka:Mode=embedded",
                // A store of their own, gone with them.
                $"DataDirectory={_dataDirectory}",
                // Ports of their own, so a running `dotnet run` (or another test run) is never
                // the system under test by mistake.
                $"Api:Port={ApiPort}",
                $"Api:GrpcPort={ApiGrpcPort}",
                $"Kafka:Embedded:Port={KafkaToolsPort}",
                .. MoreSettings,
            ],
            timeout.Token);
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        ConfigureModel(builder);

        _app = await builder.BuildAsync(timeout.Token);
        KeepServiceLogs(_app);
        await _app.StartAsync(timeout.Token);

        await _app.ResourceNotifications.WaitForResourceHealthyAsync("api", timeout.Token);
        await _app.ResourceNotifications.WaitForResourceHealthyAsync("consumer", timeout.Token);
        await _app.ResourceNotifications.WaitForResourceHealthyAsync("loadgen", timeout.Token);

        var apiKeyParameter = builder.Resources.OfType<ParameterResource>().Single(p => p.Name == "api-key");
        ApiKey = await apiKeyParameter.GetValueAsync(timeout.Token) ?? throw new InvalidOperationException("api-key has no value.");
        Api = _app.CreateHttpClient("api");
        Api.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        AnonymousApi = _app.CreateHttpClient("api");
        Consumer = _app.CreateHttpClient("consumer");
        LoadGen = _app.CreateHttpClient("loadgen");
        KafkaConnectionString = await _app.GetConnectionStringAsync("kafka", timeout.Token)
            ?? throw new InvalidOperationException("kafka has no connection string.");
    }

    /// <summary>
    /// Writes each service's console output to <c>KAFKAINGESTION_TEST_ARTIFACTS/logs</c> (.ci/run
    /// sets it), one file per fixture and service: a failed end-to-end test is explained by what
    /// the services said, which otherwise goes only to a dashboard that no one watches.
    /// </summary>
    private void KeepServiceLogs(DistributedApplication app)
    {
        if (Environment.GetEnvironmentVariable(WebConsoleBrowserTests.ArtifactsVariable) is not { Length: > 0 } artifacts)
        {
            return;
        }

        var directory = Directory.CreateDirectory(Path.Combine(artifacts, "logs"));
        var logs = app.Services.GetRequiredService<ResourceLoggerService>();
        var watched = new HashSet<string>(StringComparer.Ordinal);
        // Logs belong to resource instances ("consumer-x7k2…"), known once the orchestrator creates them.
        _logTasks.Add(Task.Run(async () =>
        {
            try
            {
                await foreach (var change in app.ResourceNotifications.WatchAsync(_logsStopped.Token))
                {
                    if (watched.Add(change.ResourceId))
                    {
                        _logTasks.Add(CopyLogAsync(logs, change.ResourceId, Path.Combine(directory.FullName, $"{GetType().Name}-{change.ResourceId}.log")));
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // The fixture is done.
            }
        }));
    }

    private async Task CopyLogAsync(ResourceLoggerService logs, string resourceId, string path)
    {
        await using var file = new StreamWriter(path, append: false) { AutoFlush = true };
        try
        {
            await foreach (var batch in logs.WatchAsync(resourceId).WithCancellation(_logsStopped.Token))
            {
                foreach (var line in batch)
                {
                    await file.WriteLineAsync(line.Content);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The fixture is done.
        }
    }

    /// <summary>The consumer's HTTP API (<see cref="Consumer"/>), typed.</summary>
    public ConsumerApiClient ConsumerApi => new(Consumer);

    /// <summary>The consumer's <c>/status</c>.</summary>
    public Task<ConsumerStatus> ConsumerStatusAsync(CancellationToken cancellationToken) => ConsumerApi.GetStatusAsync(cancellationToken);

    /// <summary>How many times the consumer processed each of these event ids.</summary>
    public async Task<IReadOnlyDictionary<string, int>> QueryProcessedAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken) =>
        (await ConsumerApi.QueryProcessedAsync(ids, includeDelays: false, cancellationToken)).TimesProcessed;

    /// <summary>
    /// Kills a service's process (SIGKILL: no shutdown, no final commit) and waits until it is
    /// gone. The whole tree: the process the orchestrator reports may be a launcher whose child
    /// is the service itself, which would otherwise live on, orphaned, and keep serving.
    /// </summary>
    public async Task KillAsync(string resource, CancellationToken cancellationToken)
    {
        var running = await App.ResourceNotifications.WaitForResourceAsync(resource, e => e.Snapshot.State?.Text == KnownResourceStates.Running, cancellationToken);
        var pid = Convert.ToInt32(running.Snapshot.Properties.Single(p => p.Name == "executable.pid").Value, System.Globalization.CultureInfo.InvariantCulture);
        using var process = System.Diagnostics.Process.GetProcessById(pid);
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync(cancellationToken);
    }

    /// <summary>Starts a killed service again (the dashboard's Start) and waits until it is healthy.</summary>
    public async Task RestartAsync(string resource, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var start = await App.ResourceCommands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand, cancellationToken);
            Assert.True(start.Success, start.Message);
            try
            {
                await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, cancellationToken);
                return;
            }
            catch (DistributedApplicationException) when (attempt < 3)
            {
                // Seen once in CI: the orchestrator's new process exited before it wrote a line
                // (the dashboard's Start would then be pressed again, as here). The service's
                // own behaviour after a restart is what the callers test.
            }
        }
    }

    /// <summary>Starts a load run through the load generator's dashboard command; returns its run id.</summary>
    public async Task<string> StartLoadRunAsync(CancellationToken cancellationToken, params (string Name, string Value)[] arguments)
    {
        var result = await App.ResourceCommands.ExecuteCommandAsync("loadgen", "start-run", CommandArguments(arguments), cancellationToken);
        Assert.True(result.Success, result.Message);
        return RunIdIn(result.Message);
    }

    /// <summary>A dashboard command's arguments, as the dashboard hands them over.</summary>
    public static InteractionInputCollection CommandArguments(params (string Name, string Value)[] values) =>
        new([.. values.Select(v => new InteractionInput { Name = v.Name, InputType = InputType.Text, Value = v.Value })]);

    /// <summary>"Run 0123456789ab started: …" → the run id.</summary>
    public static string RunIdIn(string? message) =>
        System.Text.RegularExpressions.Regex.Match(message ?? "", "^Run ([0-9a-f]{12}) started").Groups[1] is { Success: true } id
            ? id.Value
            : throw new InvalidOperationException($"No run id in \"{message}\".");

    /// <summary>The run's report, once the load generator has written it.</summary>
    public async Task<System.Text.Json.JsonElement> LoadReportAsync(string runId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return await Waiting.UntilAsync(async ct =>
        {
            using var response = await LoadGen.GetAsync("/runs/last", ct);
            return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(ct) : default;
        }, report => report.ValueKind == System.Text.Json.JsonValueKind.Object && report.GetProperty("runId").GetString() == runId, timeout, $"the report of run {runId}");
    }

    /// <summary>The first record in the dead-letter topic that matches, read by a group of its own.</summary>
    public Confluent.Kafka.ConsumeResult<string?, byte[]> ReadDeadLetter(Func<Confluent.Kafka.ConsumeResult<string?, byte[]>, bool> match, CancellationToken cancellationToken)
    {
        using var consumer = new Confluent.Kafka.ConsumerBuilder<string?, byte[]>(new Confluent.Kafka.ConsumerConfig
        {
            BootstrapServers = KafkaConnectionString,
            GroupId = $"test-dlq-{Guid.NewGuid():N}",
            AutoOffsetReset = Confluent.Kafka.AutoOffsetReset.Earliest,
        }).Build();
        consumer.Subscribe("events.dlq");
        try
        {
            while (true)
            {
                // Consume(token) ends with OperationCanceledException when the test's time is up.
                var record = consumer.Consume(cancellationToken);
                if (match(record))
                {
                    return record;
                }
            }
        }
        finally
        {
            consumer.Close();
        }
    }

    /// <summary>
    /// A consumer restarted by a test (after its process was killed) can outlive the AppHost:
    /// the orchestrator no longer stops it. Every service process of this fixture has the
    /// fixture's data directory in its environment, which finds them.
    /// </summary>
    private void KillLeftoverServices()
    {
        foreach (var pid in ServiceProcesses(IsThisFixtures))
        {
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(pid);
                process.Kill(entireProcessTree: true);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Gone already.
            }
        }
    }

    /// <summary>The api's process (and any launcher above it), with resident memory.</summary>
    public IReadOnlyList<(int Pid, long ResidentBytes)> ApiProcesses() => ProcessesOf("KafkaIngestion.Api");

    /// <summary>This fixture's processes of one project (by its assembly name), with resident memory.</summary>
    public IReadOnlyList<(int Pid, long ResidentBytes)> ProcessesOf(string project) =>
        [.. ServiceProcesses(IsThisFixtures)
            .Where(pid => ReadProc(pid, "cmdline")?.Contains(project, StringComparison.Ordinal) == true)
            .Select(pid => (pid, ResidentBytes(pid)))];

    /// <summary>Every service has the data directory in its environment but the api; its port, chosen for this fixture, names it.</summary>
    private bool IsThisFixtures(string environment) =>
        environment.Contains(_dataDirectory, StringComparison.Ordinal) || environment.Contains($"localhost:{ApiPort}\0", StringComparison.Ordinal);

    private static long ResidentBytes(int pid) =>
        ReadProc(pid, "status")?.Split('\n').FirstOrDefault(line => line.StartsWith("VmRSS:", StringComparison.Ordinal)) is { } line
            ? long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024
            : 0;

    /// <summary>Processes (other than this one) whose environment matches.</summary>
    private static IEnumerable<int> ServiceProcesses(Func<string, bool> environmentMatches)
    {
        if (!OperatingSystem.IsLinux())
        {
            yield break;
        }

        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && pid != Environment.ProcessId
                && ReadProc(pid, "environ") is { } environment && environmentMatches(environment))
            {
                yield return pid;
            }
        }
    }

    private static string? ReadProc(int pid, string file)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/{file}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // gone already, or not ours to read
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _logsStopped.Dispose();
        GC.SuppressFinalize(this);
    }

    public virtual async Task DisposeAsync()
    {
        Api?.Dispose();
        AnonymousApi?.Dispose();
        Consumer?.Dispose();
        LoadGen?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        await _logsStopped.CancelAsync();
        await Task.WhenAll([.. _logTasks]).WaitAsync(TimeSpan.FromSeconds(10));
        KillLeftoverServices();

        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SharedAppHost : ICollectionFixture<AppHostFixture>
{
    public const string Name = "AppHost";
}
