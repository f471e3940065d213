using System.Diagnostics;
using System.Globalization;

namespace KafkaIngestion.LoadGen;

/// <summary>
/// Live progress while a run sends: a progress bar with the rate in a terminal, periodic log
/// lines elsewhere (the dashboard's console and structured logs).
/// </summary>
internal static partial class Progress
{
    public static async Task ShowAsync(LoadGenOptions settings, string runId, RunStats stats, bool terminal, ILogger logger, CancellationToken done)
    {
        var started = Stopwatch.GetTimestamp();
        var interval = terminal ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromSeconds(2);
        long lastEvents = 0;
        var lastAt = started;
        try
        {
            while (true)
            {
                await Task.Delay(interval, done);
                var now = Stopwatch.GetTimestamp();
                var answered = stats.AnsweredEvents;
                var rate = (answered - lastEvents) / Stopwatch.GetElapsedTime(lastAt, now).TotalSeconds;
                (lastEvents, lastAt) = (answered, now);
                var fraction = settings.Mode == LoadGenOptions.OpenLoop
                    ? Stopwatch.GetElapsedTime(started, now) / settings.Duration
                    : (double)answered / settings.Events;
                fraction = Math.Clamp(fraction, 0, 1);
                if (terminal)
                {
                    Console.Error.Write(Bar(fraction, answered, stats.Accepted, rate));
                }
                else
                {
                    LogProgress(logger, runId, fraction * 100, answered, stats.Accepted, rate);
                }
            }
        }
        catch (OperationCanceledException) when (done.IsCancellationRequested)
        {
            if (terminal)
            {
                Console.Error.WriteLine();
            }
        }
    }

    /// <summary>One line, redrawn in place: <c>[#########-----------]  45%  4,500 events  4,500 accepted  2,310 events/s</c>.</summary>
    internal static string Bar(double fraction, long events, long accepted, double rate)
    {
        const int Width = 30;
        var filled = (int)Math.Round(fraction * Width);
        return string.Create(CultureInfo.InvariantCulture,
            $"\r[{new string('#', filled)}{new string('-', Width - filled)}] {fraction * 100,3:F0}%  {events:N0} events  {accepted:N0} accepted  {rate:N0} events/s   ");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: {Percent:F0}% — {Events} events answered, {Accepted} accepted, {EventsPerSecond:F0} events/s")]
    private static partial void LogProgress(ILogger logger, string runId, double percent, long events, long accepted, double eventsPerSecond);
}
