using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Backend.Tests.Push;

/// <summary>A logger that keeps what is logged, for the push senders' tests (Fcm and WebPush).</summary>
internal sealed class ListLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, formatter(state, exception)));

    public int Count(LogLevel level, string contains) =>
        Entries.Count(e => e.Level == level && e.Message.Contains(contains, StringComparison.Ordinal));
}
