using System.Text;

namespace Backend.Http;

/// <summary>Rate limit for the log of server faults: at most <see cref="MaxPerWindow"/> faults a minute are logged in
/// full (with their stack trace); the rest are counted and reported as one summary line when the next window
/// starts. A flood of requests that hit the same fault therefore cannot flood the log. Thread-safe.</summary>
internal sealed class FaultLog(TimeProvider time)
{
    /// <summary>Faults logged in full per window.</summary>
    public const int MaxPerWindow = 10;

    /// <summary>Length of a window.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>Longest path (in characters) written to the log for one request; the rest is cut.</summary>
    public const int MaxPathLength = 200;

    private readonly Lock _lock = new();
    private long _windowStart = long.MinValue;
    private int _logged;
    private int _suppressed;
    private string? _lastSuppressed;

    /// <summary>Whether this fault may be logged in full. <paramref name="summary"/> is set when the previous window
    /// suppressed faults: the caller logs it first (count and the last suppressed fault).</summary>
    public bool TryLog(string description, out string? summary)
    {
        summary = null;
        var now = time.GetTimestamp();
        lock (_lock)
        {
            if (_windowStart == long.MinValue || time.GetElapsedTime(_windowStart, now) >= Window)
            {
                if (_suppressed > 0) summary = $"{_suppressed} more faults in the last minute were not logged (at most {MaxPerWindow} a minute); the last: {_lastSuppressed}";
                _windowStart = now;
                _logged = 0;
                _suppressed = 0;
                _lastSuppressed = null;
            }
            if (_logged < MaxPerWindow)
            {
                _logged++;
                return true;
            }
            _suppressed++;
            _lastSuppressed = description;
            return false;
        }
    }

    /// <summary>A request path made safe for one log line: control characters escaped, cut at
    /// <see cref="MaxPathLength"/> characters.</summary>
    public static string SafePath(string? path)
    {
        if (string.IsNullOrEmpty(path)) return "/";
        var clean = true;
        foreach (var ch in path)
        {
            if (char.IsControl(ch)) { clean = false; break; }
        }
        if (clean && path.Length <= MaxPathLength) return path;
        var sb = new StringBuilder(Math.Min(path.Length, MaxPathLength) + 8);
        foreach (var ch in path)
        {
            if (sb.Length >= MaxPathLength) { sb.Append("..."); break; }
            if (char.IsControl(ch)) sb.Append("\\u").Append(((int)ch).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            else sb.Append(ch);
        }
        return sb.ToString();
    }
}
