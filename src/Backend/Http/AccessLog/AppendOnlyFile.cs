using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Backend.Http.AccessLog;

/// <summary>A log file several processes append to: on Linux opened with <c>O_APPEND</c> (which .NET's
/// <c>FileMode.Append</c> does not set: it seeks once and then writes at offsets of its own, so two processes would
/// overwrite each other's lines), and each <see cref="Write"/> is one write(2) of whole lines, which the kernel appends
/// at the end of the file as one piece (a local file system serializes writes to one file), so lines of different
/// processes never interleave. Elsewhere (one process only) a plain handle written at its end.
/// <para>Rotation: <see cref="Moved"/> tells when the file this handle writes is no longer the one at <see cref="Path"/>
/// (renamed or deleted, as logrotate does without <c>copytruncate</c>); the caller then calls <see cref="Reopen"/>.
/// With <c>copytruncate</c> nothing is needed: appends go to the new end.</para></summary>
internal sealed partial class AppendOnlyFile : IDisposable
{
    private const int O_WRONLY = 1;
    private const int O_CREAT = 0x40;
    private const int O_APPEND = 0x400;
    private const int O_CLOEXEC = 0x80000;
    private const int EINTR = 4;

    private int _fd = -1;
    private SafeFileHandle? _handle;
    private string? _openedAs;

    public AppendOnlyFile(string path)
    {
        Path = path;
        Open();
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>Appends <paramref name="data"/> (whole lines) in one write.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        if (_handle is not null)
        {
            RandomAccess.Write(_handle, data, RandomAccess.GetLength(_handle));
            return;
        }
        while (data.Length > 0)
        {
            var n = write(_fd, data, data.Length);
            if (n < 0)
            {
                var error = Marshal.GetLastPInvokeError();
                if (error == EINTR) continue;
                throw new IOException($"cannot write {Path}: {Marshal.GetPInvokeErrorMessage(error)}");
            }
            // Only a full disk or a signal ends a write to a regular file early; the rest follows in another write.
            data = data[(int)n..];
        }
    }

    /// <summary>True when <see cref="Path"/> no longer names the file this handle writes (moved or deleted).</summary>
    public bool Moved()
    {
        if (_openedAs is not null) return !string.Equals(LinkTarget(), _openedAs, StringComparison.Ordinal);
        return !File.Exists(Path);
    }

    /// <summary>Opens <see cref="Path"/> again (creating it) and closes the old handle; when the open fails the old
    /// handle stays and the error is thrown.</summary>
    public void Reopen()
    {
        var (fd, handle) = (_fd, _handle);
        Open();
        if (handle is not null) handle.Dispose();
        else if (fd >= 0) close(fd);
    }

    public void Dispose()
    {
        _handle?.Dispose();
        _handle = null;
        if (_fd >= 0) close(_fd);
        _fd = -1;
    }

    private void Open()
    {
        if (System.IO.Path.GetDirectoryName(Path) is { Length: > 0 } dir) Directory.CreateDirectory(dir);
        if (!OperatingSystem.IsLinux())
        {
            _handle = File.OpenHandle(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            return;
        }
        var fd = open(Path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0x1A4 /* 0644 */);
        if (fd < 0)
        {
            var error = Marshal.GetLastPInvokeError();
            throw error == 13 /* EACCES */
                ? new UnauthorizedAccessException($"cannot open {Path}: {Marshal.GetPInvokeErrorMessage(error)}")
                : new IOException($"cannot open {Path}: {Marshal.GetPInvokeErrorMessage(error)}");
        }
        _fd = fd;
        // What /proc says this descriptor is now; a rename or a delete changes it ("PATH (deleted)").
        _openedAs = LinkTarget();
    }

    private string? LinkTarget()
    {
        try
        {
            return new FileInfo($"/proc/self/fd/{_fd}").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint write(int fd, ReadOnlySpan<byte> buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int close(int fd);
}
