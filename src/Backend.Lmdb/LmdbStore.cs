using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Backend.Data;
using LightningDB;

namespace Backend.Lmdb;

/// <summary>One open LMDB environment (a directory), shared by every driver of this process that names it.
/// <para>LMDB must not open one environment twice in a process (its locks are per process: closing the second handle
/// would drop the first one's), so pools and drivers over the same directory share one <see cref="LmdbStore"/>,
/// reference-counted; the last <see cref="Release"/> closes it.</para>
/// <para>Writers are serialized in-process by an async lock (<see cref="WriteLock"/>) before they begin LMDB's write
/// transaction, so no thread-pool thread ever blocks on LMDB's own writer mutex (another process holding it is the
/// only remaining wait). Named-database handles (<c>mdb_dbi_open</c>) are opened once and kept: LMDB requires those
/// opens to be serialized, which <see cref="_open"/> and the write lock do.</para></summary>
internal sealed class LmdbStore
{
    private static readonly Dictionary<string, LmdbStore> Open = new(StringComparer.Ordinal);
    private static readonly Lock OpenLock = new();
    private readonly ConcurrentDictionary<string, LightningDatabase> _dbs = new(StringComparer.Ordinal);
    private readonly Lock _open = new();
    private int _refs;

    static LmdbStore()
    {
        // LightningDB imports "lmdb"; its bundled liblmdb.so needs glibc 2.38. On Linux use the system's liblmdb.so.0
        // (Debian's liblmdb0, LMDB 0.9) when it is installed; elsewhere fall back to the default probing (the bundled lib).
        NativeLibrary.SetDllImportResolver(typeof(LightningEnvironment).Assembly, (name, _, _) =>
            name == "lmdb" && OperatingSystem.IsLinux() && NativeLibrary.TryLoad("liblmdb.so.0", out var handle) ? handle : IntPtr.Zero);
    }

    private LmdbStore(string path, long mapSize, int maxDbs)
    {
        Path = path;
        Directory.CreateDirectory(path);
        Environment = new LightningEnvironment(path, new EnvironmentConfiguration { MapSize = mapSize, MaxDatabases = maxDbs, MaxReaders = 512 });
        // NoThreadLocalStorage: read transactions are not tied to a thread (async callers hop threads, and a thread
        // may hold more than one).
        Environment.Open(EnvironmentOpenFlags.NoThreadLocalStorage);
        // Reader slots left by processes that died (a crashed server) would otherwise pin old pages forever.
        Environment.CheckStaleReaders();
    }

    /// <summary>The environment's directory.</summary>
    public string Path { get; }

    /// <summary>The LMDB environment.</summary>
    public LightningEnvironment Environment { get; }

    /// <summary>Serializes this process's write transactions (see the class summary).</summary>
    public SemaphoreSlim WriteLock { get; } = new(1, 1);

    /// <summary>The store of a directory, opened on first use; each call must be paired with <see cref="Release"/>.</summary>
    public static LmdbStore Acquire(string path, long mapSize, int maxDbs)
    {
        var full = System.IO.Path.GetFullPath(path);
        lock (OpenLock)
        {
            if (!Open.TryGetValue(full, out var store))
            {
                store = new LmdbStore(full, mapSize, maxDbs);
                Open[full] = store;
            }
            store._refs++;
            return store;
        }
    }

    /// <summary>Drops one reference; the last one closes the environment.</summary>
    public void Release()
    {
        lock (OpenLock)
        {
            if (--_refs > 0) return;
            Open.Remove(Path);
            foreach (var db in _dbs.Values) db.Dispose();
            _dbs.Clear();
            Environment.Dispose();
            WriteLock.Dispose();
        }
    }

    /// <summary>The handle of a named database opened by a committed <see cref="Create"/>; null when there is none.
    /// <para>Handles are only ever opened by table initialisation, inside its write transaction: LMDB forbids
    /// <c>mdb_dbi_open</c> in two concurrent transactions of one process (a handle opened by a read transaction while
    /// a write transaction opens another can end up in the same slot), so reads and writes only use handles opened
    /// and committed before.</para></summary>
    public LightningDatabase? Get(string name) => _dbs.GetValueOrDefault(name);

    /// <summary>A named database, created in a write transaction when missing. The handle of a new database is only
    /// valid once that transaction commits: pass it to <see cref="Committed"/> then.</summary>
    public LightningDatabase Create(LightningTransaction tx, string name)
    {
        if (_dbs.TryGetValue(name, out var db)) return db;
        lock (_open)
        {
            if (_dbs.TryGetValue(name, out db)) return db;
            try
            {
                return tx.OpenDatabase(name, new DatabaseConfiguration { Flags = DatabaseOpenFlags.Create }, closeOnDispose: false);
            }
            catch (LightningException ex) when (ex.StatusCode == (int)MDBResultCode.DbsFull)
            {
                throw new DbException(DbErrorKind.Failed, $"lmdb: too many tables and indexes for maxdbs ({Environment.MaxDatabases}): raise ?maxdbs= in -db-lmdb-pool", ex);
            }
        }
    }

    /// <summary>Remembers handles opened by a write transaction once it committed.</summary>
    public void Committed(IEnumerable<KeyValuePair<string, LightningDatabase>> opened)
    {
        foreach (var (name, db) in opened) _dbs.TryAdd(name, db);
    }

    /// <summary>Forgets a dropped database's handle.</summary>
    public void Forget(string name) => _dbs.TryRemove(name, out _);
}
