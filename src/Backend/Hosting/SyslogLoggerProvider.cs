using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Backend.Configuration;
using Microsoft.Extensions.Logging;

namespace Backend.Hosting;

/// <summary><c>-syslog</c>: log lines as datagrams to the local syslog socket (<c>-syslog-socket</c>, <c>/dev/log</c>),
/// in the form syslog(3) sends (<c>&lt;PRI&gt;Mmm dd hh:mm:ss backend[PID]: LEVEL: CATEGORY: MESSAGE</c>, facility
/// user), as the reference's <c>-syslog</c> did. Written by hand: no syslog provider ships with
/// Microsoft.Extensions.Logging, and the protocol is one datagram per line. A line that cannot be sent (the daemon
/// restarting) is dropped rather than blocking the request that logged it.</summary>
internal sealed class SyslogLoggerProvider : ILoggerProvider
{
    /// <summary>The default socket.</summary>
    public const string DefaultSocket = "/dev/log";

    /// <summary>Longest datagram sent; longer lines are cut (syslog daemons take at least this much).</summary>
    public const int MaxDatagram = 8192;

    private const int FacilityUser = 1;

    private readonly Socket _socket;
    private readonly TimeProvider _time;
    private readonly string _tag;

    /// <summary>Connects to the socket at <paramref name="path"/>; a missing socket is a <see cref="ConfigException"/>
    /// naming <paramref name="parameter"/>.</summary>
    public SyslogLoggerProvider(string path, string parameter, TimeProvider time, string tag = "backend")
    {
        _time = time;
        _tag = $"{tag}[{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}]";
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        try
        {
            _socket.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException ex)
        {
            _socket.Dispose();
            throw new ConfigException($"-syslog: cannot reach the syslog socket {path} ({ex.SocketErrorCode}); is a syslog daemon running? (-{parameter} names another socket)");
        }
    }

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new SyslogLogger(this, categoryName);

    /// <summary>The severity of a log level (RFC 5424 numbers).</summary>
    internal static int Severity(LogLevel level) => level switch
    {
        LogLevel.Critical => 2,
        LogLevel.Error => 3,
        LogLevel.Warning => 4,
        LogLevel.Information => 6,
        _ => 7,
    };

    private static string Short(LogLevel level) => level switch
    {
        LogLevel.Critical => "crit",
        LogLevel.Error => "fail",
        LogLevel.Warning => "warn",
        LogLevel.Information => "info",
        LogLevel.Debug => "dbug",
        _ => "trce",
    };

    internal void Write(LogLevel level, string category, string message, Exception? exception)
    {
        var now = _time.GetLocalNow();
        var text = new StringBuilder(128)
            .Append('<').Append((FacilityUser * 8) + Severity(level)).Append('>')
            // syslog(3)'s timestamp: the day space-padded, local time.
            .Append(now.ToString("MMM ", CultureInfo.InvariantCulture)).Append(now.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2))
            .Append(now.ToString(" HH:mm:ss ", CultureInfo.InvariantCulture))
            .Append(_tag).Append(": ").Append(Short(level)).Append(": ").Append(category).Append(": ").Append(message);
        if (exception is not null) text.Append(" | ").Append(exception);
        // One record per datagram: line breaks (a stack trace) become " | ".
        var line = text.ToString().Replace("\r\n", " | ", StringComparison.Ordinal).Replace('\n', ' ');
        var bytes = Encoding.UTF8.GetBytes(line);
        try
        {
            _socket.Send(bytes.AsSpan(0, Math.Min(bytes.Length, MaxDatagram)));
        }
        catch (SocketException)
        {
            // the daemon is restarting or its queue is full: the line is lost, the request is not held up
        }
        catch (ObjectDisposedException)
        {
            // shutting down
        }
    }

    /// <inheritdoc />
    public void Dispose() => _socket.Dispose();

    private sealed class SyslogLogger(SyslogLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            owner.Write(logLevel, category, formatter(state, exception), exception);
        }
    }
}
