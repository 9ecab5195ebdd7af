using System.Security.Cryptography;
using System.Text;
using Backend.Configuration;
using Microsoft.Extensions.Logging;

namespace Backend.Jobs;

/// <summary>The schedule of this master: HOME/etc/crontab then HOME/etc/crontab.local, read at start and again when
/// either changes (a FileSystemWatcher, debounced, and a look at their size and time every few seconds, for file
/// systems that send no events). A file that cannot be used is logged once, with its line and column, and the last good
/// schedule keeps running.</summary>
internal sealed class CrontabFiles : IDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(3);

    private readonly string[] _paths;
    private readonly JobRegistry _registry;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly object _lock = new();
    private FileSystemWatcher? _watcher;
    private ITimer? _debounce;
    private ITimer? _poll;
    private string _stamp = "";
    private string? _lastError;
    private List<CronJob> _jobs = [];
    private CancellationTokenSource _changed = new();

    public CrontabFiles(BackendConfig config, JobRegistry registry, ILogger<CrontabFiles> logger, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(config);
        _paths = [config.HomePath("etc", "crontab"), config.HomePath("etc", "crontab.local")];
        _registry = registry;
        _logger = logger;
        _time = time;
    }

    /// <summary>The jobs of the last good schedule.</summary>
    public IReadOnlyList<CronJob> Jobs
    {
        get
        {
            lock (_lock) return _jobs;
        }
    }

    /// <summary>Cancelled when the schedule changes (then replaced).</summary>
    public CancellationToken Changed
    {
        get
        {
            lock (_lock) return _changed.Token;
        }
    }

    /// <summary>Reads the files and starts watching them.</summary>
    public void Start()
    {
        Reload(force: true);
        var dir = Path.GetDirectoryName(_paths[0])!;
        Directory.CreateDirectory(dir);
        _debounce = _time.CreateTimer(_ => Reload(force: false), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        try
        {
            _watcher = new FileSystemWatcher(dir) { Filter = "crontab*", NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size };
            FileSystemEventHandler changed = (_, _) => _debounce.Change(Debounce, Timeout.InfiniteTimeSpan);
            _watcher.Changed += changed;
            _watcher.Created += changed;
            _watcher.Deleted += changed;
            _watcher.Renamed += (_, _) => _debounce.Change(Debounce, Timeout.InfiniteTimeSpan);
            _watcher.EnableRaisingEvents = true;
        }
        catch (Exception ex) when (ex is IOException or PlatformNotSupportedException or ArgumentException)
        {
            _logger.LogWarning("crontab: cannot watch {Dir} ({Message}); it is checked every {Seconds} s", dir, ex.Message, Poll.TotalSeconds);
        }
        _poll = _time.CreateTimer(_ => Reload(force: false), null, Poll, Poll);
    }

    /// <summary>Reads the files again when they changed since the last read (or always with <paramref name="force"/>).</summary>
    internal void Reload(bool force)
    {
        lock (_lock)
        {
            var stamp = Stamp();
            if (!force && stamp == _stamp) return;
            _stamp = stamp;
            var jobs = new List<CronJob>();
            try
            {
                foreach (var path in _paths)
                {
                    if (!File.Exists(path)) continue;
                    jobs.AddRange(Crontab.Parse(File.ReadAllText(path), path, _registry.Contains));
                }
            }
            catch (Exception ex) when (ex is CrontabException or IOException or UnauthorizedAccessException)
            {
                if (ex.Message != _lastError)
                {
                    _lastError = ex.Message;
                    _logger.LogError("crontab: {Error}; the previous schedule ({Count} jobs) keeps running", ex.Message, _jobs.Count);
                }
                return;
            }
            _lastError = null;
            _jobs = jobs;
            var files = _paths.Where(File.Exists).ToList() is { Count: > 0 } found ? string.Join(", ", found) : $"no file ({string.Join(", ", _paths)} do not exist)";
            _logger.CrontabRead(jobs.Count, files);
            var old = _changed;
            _changed = new CancellationTokenSource();
            old.Cancel();
            old.Dispose();
        }
    }

    // The files' contents (they are small): a rewrite within one tick of the file clock is still seen.
    private string Stamp()
    {
        var parts = new StringBuilder();
        foreach (var path in _paths)
        {
            try
            {
                parts.Append(File.Exists(path) ? File.ReadAllText(path) : "\0missing").Append('\0');
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                parts.Append("\0error:").Append(ex.Message).Append('\0');
            }
        }
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(parts.ToString())));
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _debounce?.Dispose();
        _poll?.Dispose();
        lock (_lock) _changed.Dispose();
    }
}
