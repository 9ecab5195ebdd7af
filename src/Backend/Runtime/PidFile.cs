using System.Globalization;
using Backend.Configuration;

namespace Backend.Runtime;

/// <summary>The pid file of a top process (<c>-pid-file</c>, var/bkcs.pid): written at start, removed at a clean
/// exit; <c>bkcs stop</c> and <c>bkcs restart</c> signal the process it names. A second server on the same home is
/// refused while the first one runs.</summary>
internal sealed class PidFile : IDisposable
{
    private readonly string _path;

    private PidFile(string path) => _path = path;

    public static PidFile Create(string path)
    {
        if (Read(path) is { } other && other != Environment.ProcessId && IsBackend(other))
            throw new ConfigException($"a server of this home is already running (pid {other}, {path}); 'bkcs stop' ends it");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        return new PidFile(path);
    }

    /// <summary>The process id in <paramref name="path"/>; null when there is no readable one.</summary>
    public static int? Read(string path)
    {
        try
        {
            return int.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>True when <paramref name="pid"/> runs and is a Backend.cs process (its name, from the runtime, starts with
    /// "bkcs: "), so a stale pid file whose number was reused by another program is not taken for a server.</summary>
    public static bool IsBackend(int pid)
    {
        if (!Posix.IsAlive(pid)) return false;
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").StartsWith("bkcs: ", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        try
        {
            if (Read(_path) == Environment.ProcessId) File.Delete(_path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // a pid file left behind is recognised as stale by the next start
        }
    }
}
