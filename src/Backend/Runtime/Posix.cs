using System.Runtime.InteropServices;
using System.Text;

namespace Backend.Runtime;

/// <summary>The few libc calls the process runtime needs that .NET does not wrap: signals to other processes, a new
/// session for a daemon, the process name <c>ps</c> shows, and pointing standard output at a file. Linux only (the
/// flag values are Linux's); elsewhere every call does nothing and returns false.</summary>
internal static partial class Posix
{
    public const int SIGHUP = 1;
    public const int SIGINT = 2;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    private const int PR_SET_NAME = 15;
    private const int O_WRONLY = 1;
    private const int O_CREAT = 0x40;
    private const int O_APPEND = 0x400;
    private const int O_RDONLY = 0;

    public static bool Supported => OperatingSystem.IsLinux();

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when the process is not there (or not
    /// ours).</summary>
    public static bool Kill(int pid, int signal) => Supported && pid > 0 && kill(pid, signal) == 0;

    /// <summary>True while a process with this id exists (signal 0 probes without sending).</summary>
    public static bool IsAlive(int pid) => Supported && pid > 0 && (kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() == 1 /* EPERM: there, not ours */);

    /// <summary>Starts a new session (no controlling terminal), as a daemon does after fork.</summary>
    public static bool NewSession() => Supported && setsid() >= 0;

    /// <summary>The name <c>ps -e</c>, <c>top</c> and <c>/proc/PID/comm</c> show (15 bytes at most on Linux). Must run
    /// on the main thread: a thread's name is its own.</summary>
    public static bool SetProcessName(string name)
    {
        if (!OperatingSystem.IsLinux()) return false;
        var bytes = Encoding.UTF8.GetBytes(name.Length > 15 ? name[..15] : name);
        var buffer = new byte[16];
        bytes.CopyTo(buffer, 0);
        return prctl(PR_SET_NAME, buffer, 0, 0, 0) == 0;
    }

    /// <summary>Points file descriptor <paramref name="fd"/> (1 standard output, 2 standard error) at
    /// <paramref name="path"/>, appended and created 0640 if missing; everything written to the descriptor from now on,
    /// by .NET or by native code, goes to the file.</summary>
    public static void RedirectToFile(int fd, string path)
    {
        if (!Supported) return;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var file = open(path, O_WRONLY | O_CREAT | O_APPEND, 0x1A0 /* 0640 */);
        if (file < 0) throw new IOException($"cannot open {path}: error {Marshal.GetLastPInvokeError()}");
        if (dup2(file, fd) < 0) throw new IOException($"cannot redirect to {path}: error {Marshal.GetLastPInvokeError()}");
        close(file);
    }

    /// <summary>Standard input from /dev/null (a daemon reads nothing from the terminal it left).</summary>
    public static void StdinFromNull()
    {
        if (!Supported) return;
        var file = open("/dev/null", O_RDONLY, 0);
        if (file < 0) return;
        dup2(file, 0);
        close(file);
    }

    /// <summary>Runs <paramref name="start"/> (a process start) with standard input from /dev/null and standard output
    /// and error appended to files, then puts this process's own back: the started process inherits the files as its
    /// descriptors 0, 1 and 2 and holds nothing of this process's terminal or pipes (a caller reading this process's
    /// output to its end is not kept waiting by a daemon).</summary>
    public static T WithStandardStreams<T>(string outPath, string errPath, Func<T> start)
    {
        ArgumentNullException.ThrowIfNull(start);
        if (!Supported) return start();
        // Saved with close-on-exec, so the started process does not inherit the copies.
        var saved = new[] { fcntl(0, F_DUPFD_CLOEXEC, 3), fcntl(1, F_DUPFD_CLOEXEC, 3), fcntl(2, F_DUPFD_CLOEXEC, 3) };
        try
        {
            var input = open("/dev/null", O_RDONLY, 0);
            if (input >= 0)
            {
                dup2(input, 0);
                close(input);
            }
            RedirectToFile(1, outPath);
            RedirectToFile(2, errPath);
            return start();
        }
        finally
        {
            for (var fd = 0; fd < 3; fd++)
            {
                if (saved[fd] < 0) continue;
                dup2(saved[fd], fd);
                close(saved[fd]);
            }
        }
    }

    private const int F_DUPFD_CLOEXEC = 1030;

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    [LibraryImport("libc", EntryPoint = "setsid", SetLastError = true)]
    private static partial int setsid();

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int prctl(int option, byte[] arg2, nint arg3, nint arg4, nint arg5);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "dup2", SetLastError = true)]
    private static partial int dup2(int oldfd, int newfd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int close(int fd);
}
