using System.Reflection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backend.Runtime;

/// <summary>The log watcher (the reference's <c>logwatcher-*</c>), run by the monitor: every -logwatcher-interval
/// minutes it scans the log files (-log-file, -err-file, -logwatcher-file) from where the last scan stopped, picks the
/// error lines (<see cref="LogScanner"/>) and sends them as one report to -logwatcher-url or -logwatcher-email.</summary>
/// <remarks>
/// Never the same line twice: the positions reached are kept (in memory and in var/logwatcher.json, for a restarted
/// monitor) only after the report was delivered, or when there was nothing to report. A report that could not be
/// delivered is not kept either: the next scan reads from the same positions, finds the same lines and the new ones,
/// and tries again; what is read per file and scan is bounded (<see cref="LogWatcherOptions.MaxReadBytes"/>), so a
/// receiver that stays down costs no memory. Failures are logged at warning level, which the built-in patterns do not
/// match, so they do not feed the next report. (A crash between the delivery and the state write would send a report
/// again: at least once, never lost.)
/// </remarks>
internal sealed partial class LogWatcher(IOptions<LogWatcherOptions> options, ILogReportSender sender, TimeProvider time, ILogger<LogWatcher> logger)
{
    private readonly LogWatcherOptions _options = options.Value;
    private readonly LogScanner _scanner = new(options.Value.Match, options.Value.Ignore, options.Value.MaxReadBytes, options.Value.ContextLines, options.Value.MaxLineChars);
    private readonly LogWatcherState _state = new(options.Value.StateFile);
    private bool _loaded;

    public bool Enabled => _options.Enabled && _options.Files.Count > 0;

    /// <summary>Scans every interval until <paramref name="ct"/> ends; returns at once when the watcher is off.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        if (!Enabled)
        {
            if (_options.Enabled) LogNoFiles();
            return;
        }
        var files = string.Join(", ", _options.Files.Select(f => f.Path));
        var destination = sender.Destination;
        LogStarted(files, _options.IntervalMinutes, destination);
        using var timer = new PeriodicTimer(_options.Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                try
                {
                    await ScanAsync(ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogScanFailed(ex);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // stopping
        }
    }

    /// <summary>One scan: reads every file, sends a report when anything matched, keeps the positions when it was
    /// delivered (or when there was nothing to send). Returns the report sent, or null.</summary>
    internal async Task<LogReport?> ScanAsync(CancellationToken ct)
    {
        if (!_loaded)
        {
            _state.Load();
            _loaded = true;
        }
        var scans = new List<LogScan>();
        foreach (var file in _options.Files)
        {
            if (_scanner.Scan(file, _state.Get(file.Path)) is { } scan) scans.Add(scan);
        }
        var report = Build(scans);
        if (report is not null)
        {
            var lines = report.LineCount;
            var destination = sender.Destination;
            try
            {
                await sender.SendAsync(report, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                var reason = ex.Message;
                LogSendFailed(lines, destination, reason);
                return null;
            }
            LogSent(lines, destination);
        }
        _state.Commit(scans.Select(s => KeyValuePair.Create(s.File.Path, s.Position)));
        return report;
    }

    /// <summary>The report of <paramref name="scans"/>, at most <see cref="LogWatcherOptions.MaxReportChars"/> of lines;
    /// null when there is nothing to tell.</summary>
    private LogReport? Build(List<LogScan> scans)
    {
        var budget = _options.MaxReportChars;
        var files = new List<LogReportFile>();
        foreach (var scan in scans)
        {
            if (scan.Lines.Count == 0) continue;
            var lines = new List<string>();
            foreach (var line in scan.Lines)
            {
                if (line.Length > budget) break;
                budget -= line.Length;
                lines.Add(line);
            }
            files.Add(new LogReportFile(scan.File.Path, lines, scan.Lines.Count - lines.Count, scan.SkippedBytes, scan.Restarted));
        }
        if (files.Count == 0) return null;
        return new LogReport(System.Net.Dns.GetHostName(), Assembly.GetEntryAssembly()?.GetName().Name ?? "bkcs", Environment.ProcessId,
            _options.Home, time.GetUtcNow(), files);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "log watcher: scanning {Files} every {Minutes} min, reports to {Destination}")]
    private partial void LogStarted(string files, double minutes, string destination);

    [LoggerMessage(Level = LogLevel.Warning, Message = "log watcher: no log file to scan (no -log-file, -err-file, -logwatcher-file or -daemon); not started")]
    private partial void LogNoFiles();

    [LoggerMessage(Level = LogLevel.Information, Message = "log watcher: sent {Lines} lines to {Destination}")]
    private partial void LogSent(int lines, string destination);

    [LoggerMessage(Level = LogLevel.Warning, Message = "log watcher: could not send {Lines} lines to {Destination} ({Reason}); trying again at the next interval")]
    private partial void LogSendFailed(int lines, string destination, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "log watcher: scan failed")]
    private partial void LogScanFailed(Exception ex);
}
