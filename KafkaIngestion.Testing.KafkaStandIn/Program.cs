using System.Collections;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using KafkaIngestion.Testing.KafkaStandIn.Configuration;
using Microsoft.Extensions.Logging.Console;

namespace KafkaIngestion.Testing.KafkaStandIn;

/// <summary>The container's command: configure from the environment, serve until SIGTERM or SIGINT.</summary>
internal static partial class Program
{
    private const int ConfigurationError = 2;
    private const int StartError = 1;

    public static async Task<int> Main()
    {
        using var loggerFactory = LoggerFactory.Create(logging => logging
            .SetMinimumLevel(LogLevel.Information)
            .AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "HH:mm:ss.fff ";
                console.ColorBehavior = LoggerColorBehavior.Disabled;
            }));
        var logger = loggerFactory.CreateLogger("KafkaStandIn");

        using var stopping = new CancellationTokenSource();
        // A handled signal also stops the runtime's default handling, so PID 1 in a container exits cleanly.
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

        StandInConfiguration configuration;
        try
        {
            configuration = StandInConfiguration.Parse(ReadEnvironment(), Dns.GetHostName());
        }
        catch (StandInConfigurationException ex)
        {
            LogConfigurationError(logger, ex.Message);
            return ConfigurationError;
        }

        StandInHost host;
        try
        {
            host = await StandInHost.StartAsync(configuration, logger);
        }
        catch (SocketException ex)
        {
            LogStartError(logger, ex.Message);
            return StartError;
        }

        await using (host)
        {
            await Task.Delay(Timeout.Infinite, stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            LogStopping(logger);
        }

        return 0;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stopping.Cancel();
        }
    }

    private static Dictionary<string, string> ReadEnvironment() =>
        Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .ToDictionary(entry => (string)entry.Key, entry => entry.Value as string ?? "", StringComparer.Ordinal);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Configuration error: {Reason}")]
    private static partial void LogConfigurationError(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Could not start: {Reason}")]
    private static partial void LogStartError(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping on signal")]
    private static partial void LogStopping(ILogger logger);
}
