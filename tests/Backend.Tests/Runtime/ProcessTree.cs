using System.Globalization;

namespace Backend.Tests.Runtime;

/// <summary>What /proc says about processes: children, names (<c>ps -e</c>'s column), listening sockets.</summary>
public static class ProcessTree
{
    /// <summary>The direct children of <paramref name="pid"/>.</summary>
    public static List<int> Children(int pid)
    {
        var result = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var child)) continue;
            if (ParentOf(child) == pid) result.Add(child);
        }
        return result;
    }

    /// <summary>Every descendant of <paramref name="pid"/>.</summary>
    public static List<int> Descendants(int pid)
    {
        var result = new List<int>();
        var queue = new Queue<int>([pid]);
        while (queue.Count > 0)
        {
            foreach (var c in Children(queue.Dequeue()))
            {
                result.Add(c);
                queue.Enqueue(c);
            }
        }
        return result;
    }

    /// <summary>The parent of <paramref name="pid"/>; 0 when it is gone.</summary>
    public static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields[0] == "Z" ? 0 : int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return 0;
        }
    }

    /// <summary>The process's name (/proc/PID/comm); null when it is gone.</summary>
    public static string? Name(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").TrimEnd('\n');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>True while the process exists and is not a zombie.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>True when <paramref name="pid"/> holds a TCP socket listening on <paramref name="port"/>.</summary>
    public static bool Listens(int pid, int port)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 10 || f[3] != "0A") continue; // 0A = LISTEN
                var local = f[1];
                if (int.Parse(local[(local.IndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port) inodes.Add(f[9]);
            }
        }
        try
        {
            foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal) && inodes.Contains(target[8..^1])) return true;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        return false;
    }

    /// <summary>Waits until <paramref name="condition"/> holds; false at the deadline.</summary>
    public static async Task<bool> WaitUntil(Func<bool> condition, TimeSpan timeout, int pollMs = 20)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition()) return true;
            await Task.Delay(pollMs, TestContext.Current.CancellationToken);
        }
        return condition();
    }
}
