using System.Buffers;
using System.Text;
using Backend.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Backend.Http.AccessLog;

/// <summary>The access log's background writer: takes the entries the requests queued (<see cref="AccessLogQueue"/>),
/// formats them (<see cref="AccessLogFormat"/>) into a batch and appends the batch to the file with one write
/// (<see cref="AppendOnlyFile"/>) when it reaches <see cref="BatchChars"/> characters or its first line is
/// <see cref="FlushInterval"/> old, and when the server stops. It wakes when lines come, then sleeps
/// <see cref="BatchDelay"/> so that a busy server costs it a few wake-ups a second, not one per request. Once per
/// <see cref="ReportInterval"/> at most it logs the lines dropped (queue full) or lost (a failed write), and it checks
/// before a write, at most once per <see cref="ReopenCheck"/>, whether the file was moved or deleted (log rotation) and
/// then opens the path again.</summary>
internal sealed partial class AccessLogWriter : IHostedService, IDisposable
{
    /// <summary>Longest time a line waits in memory before it is written.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);

    /// <summary>Pause after each round of formatting, so lines gather into batches.</summary>
    public static readonly TimeSpan BatchDelay = TimeSpan.FromMilliseconds(20);

    /// <summary>Shortest time between two warnings about dropped or lost lines.</summary>
    public static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(10);

    /// <summary>Shortest time between two checks of the file's identity (rotation).</summary>
    public static readonly TimeSpan ReopenCheck = TimeSpan.FromSeconds(1);

    /// <summary>A batch this long (in characters) is written at once.</summary>
    public const int BatchChars = 64 * 1024;

    private readonly AccessLogQueue _queue;
    private readonly TimeProvider _time;
    private readonly ILogger<AccessLogWriter> _logger;
    private readonly IHostApplicationLifetime? _lifetime;
    private readonly AccessLogFormat _format;
    private readonly StringBuilder _batch = new(BatchChars + 4096);
    private readonly Encoder _encoder = new UTF8Encoding(false).GetEncoder();
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private AppendOnlyFile? _file;
    private Task? _loop;
    private int _lines;
    private long _flushDue;
    private long _lastCheck = long.MinValue;
    private long _lastReport = long.MinValue;
    private long _lost;
    private string? _lastError;

    public AccessLogWriter(AccessLogQueue queue, TimeProvider time, ILogger<AccessLogWriter> logger, IHostApplicationLifetime? lifetime = null)
    {
        _queue = queue;
        _time = time;
        _logger = logger;
        _lifetime = lifetime;
        _format = new AccessLogFormat(time.LocalTimeZone);
    }

    /// <summary>Opens the file (a file that cannot be opened stops the start with a <see cref="ConfigException"/>) and
    /// starts the background loop.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_queue.Path is not { } path) return Task.CompletedTask;
        Open(path);
        // The server drains its last requests after the hosted services were asked to stop: their lines are written
        // when the application has stopped.
        _lifetime?.ApplicationStopped.Register(Close);
        _loop = Task.Run(() => LoopAsync(_stop.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_loop is null) return;
        try
        {
            await _stop.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
            // Stopped after the container disposed it (see BusyMonitor.StopAsync): already closed.
            return;
        }
        try
        {
            await _loop.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // stopping anyway
        }
        Pump(force: true);
    }

    /// <summary>Opens the file of <paramref name="path"/>; a file that cannot be opened is a configuration error.</summary>
    internal void Open(string path)
    {
        _file = OpenFile(path);
        LogOpened(_logger, path);
    }

    /// <summary>Opens <paramref name="path"/> (creating it and its directory) and closes it again: the check the
    /// builder makes, so a file that cannot be opened is a one-line error before anything starts.</summary>
    public static void Check(string path) => OpenFile(path).Dispose();

    private static AppendOnlyFile OpenFile(string path)
    {
        try
        {
            return new AppendOnlyFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"cannot open the access log {path} (-api-access-log): {ex.Message}");
        }
    }

    /// <summary>Writes what is queued and closes the file; later lines are not written.</summary>
    public void Close()
    {
        Pump(force: true);
        lock (_lock)
        {
            _file?.Dispose();
            _file = null;
        }
    }

    public void Dispose()
    {
        Close();
        _stop.Dispose();
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        var reader = _queue.Reader;
        Task<bool>? readable = null;
        try
        {
            while (true)
            {
                readable ??= reader.WaitToReadAsync(ct).AsTask();
                if (!readable.IsCompleted)
                {
                    // Idle: sleep until a line comes; with a batch pending, at most until it is due.
                    if (UntilDue() is not { } wait) await readable;
                    else if (wait > TimeSpan.Zero) await Task.WhenAny(readable, Task.Delay(wait, _time, ct));
                }
                if (readable.IsCompleted)
                {
                    // false: the queue was completed (never, today); cancelled: stopping.
                    if (readable.IsCanceled || !await readable) return;
                    readable = null;
                }
                ct.ThrowIfCancellationRequested();
                Pump(force: false);
                await Task.Delay(BatchDelay, _time, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // stopping: StopAsync writes the rest
        }
        catch (Exception ex)
        {
            LogLoopFailed(_logger, ex);
        }
    }

    private TimeSpan? UntilDue()
    {
        lock (_lock) return _lines == 0 ? null : _time.GetElapsedTime(_time.GetTimestamp(), _flushDue);
    }

    /// <summary>Formats what is queued, writing every full batch; writes the last, partial one when
    /// <paramref name="force"/> or when its first line waited <see cref="FlushInterval"/>. Reports drops when due.</summary>
    internal void Pump(bool force)
    {
        lock (_lock)
        {
            var reader = _queue.Reader;
            var utcNow = _time.GetUtcNow();
            var now = _time.GetTimestamp();
            while (reader.TryRead(out var entry))
            {
                if (_lines == 0) _flushDue = now + (long)(FlushInterval.TotalSeconds * _time.TimestampFrequency);
                var received = utcNow - _time.GetElapsedTime(entry.Start, now);
                _format.Append(_batch, entry, received, _time.GetElapsedTime(entry.Start, entry.End));
                _lines++;
                if (_batch.Length >= BatchChars) WriteBatch(now);
            }
            if (_lines > 0 && (force || now >= _flushDue)) WriteBatch(now);
            Report(now, force);
        }
    }

    private void WriteBatch(long now)
    {
        var lines = _lines;
        _lines = 0;
        if (_file is null)
        {
            _batch.Clear();
            return;
        }
        var bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(_batch.Length));
        try
        {
            var length = 0;
            foreach (var chunk in _batch.GetChunks()) length += _encoder.GetBytes(chunk.Span, bytes.AsSpan(length), flush: false);
            length += _encoder.GetBytes([], bytes.AsSpan(length), flush: true);
            _batch.Clear();
            CheckRotation(now);
            _file.Write(bytes.AsSpan(0, length));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _batch.Clear();
            _lost += lines;
            _lastError = ex.Message;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private void CheckRotation(long now)
    {
        if (_lastCheck != long.MinValue && _time.GetElapsedTime(_lastCheck, now) < ReopenCheck) return;
        _lastCheck = now;
        if (!_file!.Moved()) return;
        try
        {
            _file.Reopen();
            LogReopened(_logger, _file.Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Keep writing to the old file; try again at the next check.
            _lastError = ex.Message;
        }
    }

    private void Report(long now, bool force)
    {
        if (!force && _lastReport != long.MinValue && _time.GetElapsedTime(_lastReport, now) < ReportInterval) return;
        var dropped = _queue.TakeDropped();
        var lost = _lost;
        var error = _lastError;
        if (dropped == 0 && lost == 0 && error is null) return;
        _lastReport = now;
        _lost = 0;
        _lastError = null;
        if (dropped > 0) LogDropped(_logger, dropped, _queue.Capacity);
        if (lost > 0) LogWriteFailed(_logger, lost, _queue.Path ?? "", error ?? "");
        else if (error is not null) LogReopenFailed(_logger, _queue.Path ?? "", error);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "access log: writing {Path}")]
    private static partial void LogOpened(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Debug, Message = "access log: {Path} was moved or deleted, opened it again")]
    private static partial void LogReopened(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "access log: {Dropped} lines dropped, the queue of {Capacity} lines was full")]
    private static partial void LogDropped(ILogger logger, long dropped, int capacity);

    [LoggerMessage(Level = LogLevel.Warning, Message = "access log: {Lost} lines not written to {Path}: {Error}")]
    private static partial void LogWriteFailed(ILogger logger, long lost, string path, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "access log: {Path} was moved or deleted and cannot be opened again, still writing the old file: {Error}")]
    private static partial void LogReopenFailed(ILogger logger, string path, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "access log: the writer stopped")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}
