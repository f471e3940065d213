using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace KafkaIngestion.Tests.ServiceDefaults;

/// <summary>A logger provider that keeps every line, with its structured values, for assertions about what was logged.</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<Line> _lines = new();

    public IReadOnlyCollection<Line> Lines => _lines;

    /// <summary>Lines whose message or any structured value contains <paramref name="text"/>.</summary>
    public List<Line> Containing(string text) =>
        [.. _lines.Where(line => line.Message.Contains(text, StringComparison.Ordinal)
            || line.Values.Any(value => value?.Contains(text, StringComparison.Ordinal) == true)
            || line.Exception?.Contains(text, StringComparison.Ordinal) == true)];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    internal sealed record Line(string Category, LogLevel Level, string Message, IReadOnlyList<string?> Values, string? Exception);

    private sealed class Logger(string category, ConcurrentQueue<Line> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.Select(pair => pair.Value?.ToString()).ToList()
                : [];
            lines.Enqueue(new Line(category, logLevel, formatter(state, exception), values, exception?.ToString()));
        }
    }
}
