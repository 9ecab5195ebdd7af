using Microsoft.Extensions.Logging;

namespace Backend.Runtime;

/// <summary>The files that changed in one quiet period: config files (etc/config, etc/config.local, etc/crontab,
/// etc/crontab.local) and sources (anything else under a -watch-dir directory that is not build output, version
/// control or an editor's temporary file).</summary>
internal sealed record WatchBatch(IReadOnlyList<string> Config, IReadOnlyList<string> Sources)
{
    /// <summary>True when a project or MSBuild file changed: the next build restores packages first.</summary>
    public bool ProjectFileChanged => Sources.Any(s => Path.GetExtension(s) is ".csproj" or ".props" or ".targets" or ".sln" or ".slnx");
}

/// <summary>Watches the config files and the source directories of <c>-watch</c> and reports what changed once the
/// changes stop for <c>debounce</c> (an editor's save is several events; a <c>git checkout</c> is hundreds).</summary>
internal sealed class WatchFiles : IDisposable
{
    // Directories whose changes are the build's or the tools' own, never the developer's.
    private static readonly HashSet<string> IgnoredDirectories = new(StringComparer.OrdinalIgnoreCase) { "bin", "obj", ".git", ".vs", ".vscode", ".idea", "node_modules", "TestResults" };
    private static readonly HashSet<string> IgnoredExtensions = new(StringComparer.OrdinalIgnoreCase) { ".swp", ".swx", ".swo", ".tmp", ".bak", ".orig", ".log", ".db", ".db-journal", ".db-wal", ".db-shm", ".pid" };

    private readonly HashSet<string> _configFiles;
    private readonly string[] _ignoredRoots;
    private readonly TimeSpan _debounce;
    private readonly Action<WatchBatch> _onBatch;
    private readonly ILogger _logger;
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly Timer _timer;
    private readonly object _lock = new();
    private readonly SortedSet<string> _config = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _sources = new(StringComparer.Ordinal);

    /// <param name="configFiles">Exact paths; their directories are watched (not recursively).</param>
    /// <param name="sourceDirectories">Watched recursively.</param>
    /// <param name="ignoredRoots">Directories whose changes never count (the home's var/, tmp/, log/: the server's own
    /// writes, when the home is inside a watched directory).</param>
    /// <param name="debounce">How long the files must stay quiet before a batch is reported.</param>
    /// <param name="onBatch">Called on a timer thread with each batch.</param>
    /// <param name="logger">For a watcher that cannot be set up or overflows.</param>
    public WatchFiles(IEnumerable<string> configFiles, IEnumerable<string> sourceDirectories, IEnumerable<string> ignoredRoots, TimeSpan debounce,
        Action<WatchBatch> onBatch, ILogger logger)
    {
        _configFiles = new HashSet<string>(configFiles.Select(Path.GetFullPath), StringComparer.Ordinal);
        _ignoredRoots = ignoredRoots.Select(r => Path.TrimEndingDirectorySeparator(Path.GetFullPath(r)) + Path.DirectorySeparatorChar).ToArray();
        _debounce = debounce;
        _onBatch = onBatch;
        _logger = logger;
        _timer = new Timer(_ => Flush());
        foreach (var dir in _configFiles.Select(f => Path.GetDirectoryName(f)!).Distinct(StringComparer.Ordinal))
            Add(dir, recursive: false);
        foreach (var dir in sourceDirectories.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal))
            Add(dir, recursive: true);
    }

    /// <summary>The directories actually watched.</summary>
    public IEnumerable<string> Directories => _watchers.Select(w => w.Path);

    private void Add(string directory, bool recursive)
    {
        if (!Directory.Exists(directory))
        {
            _logger.LogWarning("-watch: {Directory} does not exist; not watched", directory);
            return;
        }
        var watcher = new FileSystemWatcher(directory)
        {
            IncludeSubdirectories = recursive,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
            InternalBufferSize = 64 * 1024,
        };
        var root = recursive ? directory : null;
        watcher.Changed += (_, e) => Record(e.FullPath, root);
        watcher.Created += (_, e) => Record(e.FullPath, root);
        watcher.Deleted += (_, e) => Record(e.FullPath, root);
        watcher.Renamed += (_, e) =>
        {
            Record(e.OldFullPath, root);
            Record(e.FullPath, root);
        };
        watcher.Error += (_, e) =>
        {
            // Events were lost (the kernel's queue overflowed): something changed, what exactly is unknown.
            _logger.LogWarning("-watch: events lost under {Directory} ({Error}); treating it as a change", directory, e.GetException().Message);
            Record(Path.Combine(directory, "*.*"), root, force: true);
        };
        watcher.EnableRaisingEvents = true;
        _watchers.Add(watcher);
    }

    /// <param name="path">The changed file.</param>
    /// <param name="root">The source directory it is under; null for a config file's directory.</param>
    /// <param name="force">Count it whatever its name.</param>
    private void Record(string path, string? root, bool force = false)
    {
        var config = _configFiles.Contains(path);
        if (!config && !(root is not null && (force || IsSource(root, path)))) return;
        lock (_lock)
        {
            (config ? _config : _sources).Add(path);
            _timer.Change(_debounce, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>True for a file a developer edits: not under bin/, obj/, .git/, ...; not the home's own data; not a
    /// hidden file or an editor's swap or backup file (vim's <c>4913</c> probe included).</summary>
    internal bool IsSource(string root, string path)
    {
        foreach (var ignored in _ignoredRoots)
        {
            if (path.StartsWith(ignored, StringComparison.Ordinal)) return false;
        }
        var name = Path.GetFileName(path);
        if (name.Length == 0 || name.StartsWith('.') || name.StartsWith('#') || name.EndsWith('~') || name.All(char.IsAsciiDigit)) return false;
        if (IgnoredExtensions.Contains(Path.GetExtension(name))) return false;
        // Only the part below the watched directory: a project under ~/bin/ is still watched.
        var directory = Path.GetDirectoryName(Path.GetRelativePath(root, path)) ?? "";
        foreach (var segment in directory.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            if (IgnoredDirectories.Contains(segment)) return false;
        }
        return true;
    }

    private void Flush()
    {
        WatchBatch batch;
        lock (_lock)
        {
            if (_config.Count == 0 && _sources.Count == 0) return;
            // A file without an extension that is gone again was a tool's temporary file (sed -i, some editors' save).
            var sources = _sources.Where(s => Path.HasExtension(s) || File.Exists(s) || Directory.Exists(s)).ToArray();
            batch = new WatchBatch(_config.ToArray(), sources);
            _config.Clear();
            _sources.Clear();
        }
        if (batch.Config.Count > 0 || batch.Sources.Count > 0) _onBatch(batch);
    }

    public void Dispose()
    {
        foreach (var w in _watchers) w.Dispose();
        _timer.Dispose();
    }
}
