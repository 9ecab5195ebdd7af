using System.Diagnostics;
using Backend.Data;
using Backend.Hosting;
using Backend.Tests.Server;

namespace Backend.Tests.Jobs;

/// <summary>A real master, <c>dotnet bkcs.dll run -master -home HOME [pool] [extra]</c>: it serves no port, so it is
/// ready when it logs that its scheduler started. Output lines are captured and can be waited for.</summary>
public sealed class MasterProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private MasterProcess(Process process, string home)
    {
        _process = process;
        Home = home;
    }

    /// <summary>The master's home.</summary>
    public string Home { get; }

    /// <summary>The master's process id (runs record their node as host:pid).</summary>
    public int Pid => _process.Id;

    /// <summary>True once the master has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Every line written so far.</summary>
    public string Output
    {
        get
        {
            lock (_lines) return string.Join('\n', _lines);
        }
    }

    /// <summary>Starts a master and waits for its scheduler.</summary>
    public static async Task<MasterProcess> StartAsync(string home, IEnumerable<string> pool, params string[] extra)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var a in (string[])[BackendServer.BkcsDll, "run", "-master", "-home", home, "-log", "info", .. pool, .. extra]) psi.ArgumentList.Add(a);
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("BKCS_", StringComparison.OrdinalIgnoreCase) || k.StartsWith("BACKENDCS_", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(key);
        var master = new MasterProcess(Process.Start(psi)!, home);
        master._process.OutputDataReceived += (_, e) => master.Append(e.Data);
        master._process.ErrorDataReceived += (_, e) => master.Append(e.Data);
        master._process.BeginOutputReadLine();
        master._process.BeginErrorReadLine();
        try
        {
            await master.WaitForLineAsync(l => l.Contains("job scheduler:", StringComparison.Ordinal), StartTimeout);
        }
        catch
        {
            await master.DisposeAsync();
            throw;
        }
        return master;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        TaskCompletionSource changed;
        lock (_lines)
        {
            _lines.Add(line);
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    /// <summary>The lines matching <paramref name="match"/>.</summary>
    public List<string> Lines(Func<string, bool> match)
    {
        lock (_lines) return [.. _lines.Where(match)];
    }

    /// <summary>Waits until a line matches (lines already written count); fails after <paramref name="timeout"/> or
    /// when the process exits first.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Task changed;
            lock (_lines)
            {
                if (_lines.FirstOrDefault(match) is { } found) return found;
                changed = _changed.Task;
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"no such line in {timeout.TotalSeconds} s; output:\n{Output}");
            if (_process.HasExited && !changed.IsCompleted)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken); // let the readers drain
                lock (_lines)
                {
                    if (_lines.FirstOrDefault(match) is { } last) return last;
                }
                throw new InvalidOperationException($"the master exited with code {_process.ExitCode}; output:\n{Output}");
            }
            await Task.WhenAny(changed, Task.Delay(left < TimeSpan.FromMilliseconds(500) ? left : TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken));
        }
    }

    /// <summary>SIGTERM and wait (the master kills its jobs and records them), then kill what is left.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        Backend.Runtime.Posix.Kill(_process.Id, 15);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            // gone
        }
        _process.Dispose();
    }
}

/// <summary>The jobs tables of a home, read from the test through the Db facade (the same pool as its processes).</summary>
public sealed class JobsDb : IAsyncDisposable
{
    private readonly BackendApplication _app;

    private JobsDb(BackendApplication app) => _app = app;

    public static JobsDb Open(string home, IEnumerable<string> pool) =>
        new(BackendApplicationBuilder.CreateBuilder(["-home", home, "-log", "none", .. pool]).AddPostgres().AddMySql().AddDynamoDb().AddRedis().AddLmdb().Build());

    /// <summary>Every run row, filtered.</summary>
    public async Task<List<DbRow>> RunsAsync(Func<DbRow, bool>? match = null)
    {
        var rows = new List<DbRow>();
        await foreach (var row in _app.Db.ScanAsync("bk_job_run", null, TestContext.Current.CancellationToken))
        {
            if (match is null || match(row)) rows.Add(row);
        }
        return rows;
    }

    /// <summary>Every row of the remote queue, filtered.</summary>
    public async Task<List<DbRow>> QueueAsync(Func<DbRow, bool>? match = null)
    {
        var rows = new List<DbRow>();
        await foreach (var row in _app.Db.ScanAsync("bk_job_queue", null, TestContext.Current.CancellationToken))
        {
            if (match is null || match(row)) rows.Add(row);
        }
        return rows;
    }

    /// <summary>Polls the runs (there is no event for a row) until <paramref name="done"/> holds.</summary>
    public async Task<List<DbRow>> WaitForRunsAsync(Func<DbRow, bool> match, Func<List<DbRow>, bool> done, TimeSpan timeout, Func<string>? output = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var rows = await RunsAsync(match);
            if (done(rows)) return rows;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"the runs did not get there in {timeout.TotalSeconds} s: {string.Join("; ", rows.Select(Describe))}\n{output?.Invoke()}");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }

    public static string Describe(DbRow r) => $"{r.GetString("id")} {r.GetString("name")} {r.GetString("status")} {r.GetString("node")} {r.GetLong("started")}-{r.GetLong("ended")} {r.GetString("error")}";

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
