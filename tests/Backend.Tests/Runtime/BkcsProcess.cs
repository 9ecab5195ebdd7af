using System.Diagnostics;
using System.Text;
using Backend.Tests.Server;

namespace Backend.Tests.Runtime;

/// <summary><c>dotnet bkcs.dll ARGS</c> with its output captured, for the runtime tests that watch a process tree
/// (monitor, daemon): no readiness check of its own; <see cref="WaitForOutput"/> waits on what it logs. Disposing kills
/// the whole tree.</summary>
public sealed class BkcsProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public BkcsProcess(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        psi.ArgumentList.Add(BackendServer.BkcsDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("BKCS_", StringComparison.OrdinalIgnoreCase)).ToList()) psi.Environment.Remove(key);
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>Waits until the output holds <paramref name="text"/> <paramref name="times"/> times; fails with the
    /// output at the deadline.</summary>
    public async Task WaitForOutput(string text, TimeSpan timeout, int times = 1)
    {
        if (!await ProcessTree.WaitUntil(() => Count(text) >= times, timeout, 50))
            Assert.Fail($"no \"{text}\" (x{times}) in {timeout.TotalSeconds} s; output:\n{Output}");
    }

    public int Count(string text)
    {
        var output = Output;
        var n = 0;
        for (var i = output.IndexOf(text, StringComparison.Ordinal); i >= 0; i = output.IndexOf(text, i + text.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            var tree = ProcessTree.Descendants(_process.Id);
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            foreach (var pid in tree)
            {
                try
                {
                    Process.GetProcessById(pid).Kill();
                }
                catch (ArgumentException)
                {
                    // gone
                }
                catch (InvalidOperationException)
                {
                    // gone
                }
            }
            await _process.WaitForExitAsync(CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            // never started
        }
        _process.Dispose();
    }
}
