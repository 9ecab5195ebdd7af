using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Backend.Runtime;

/// <summary>One process a parent keeps running (<c>web-1</c>, <c>master</c>, <c>server</c>): its role, its extra
/// variables, and the process that currently fills it.</summary>
internal sealed class ChildSlot(string name, ProcessRole role, IReadOnlyDictionary<string, string>? environment = null)
{
    public string Name { get; } = name;

    public ProcessRole Role { get; } = role;

    public IReadOnlyDictionary<string, string> Environment { get; } = environment ?? new Dictionary<string, string>();

    /// <summary>The process filling the slot now (null before the first start).</summary>
    public ChildHandle? Current { get; set; }

    /// <summary>Crashes in a row, each soon after its start; reset by a process that ran -server-crash-delay.</summary>
    public int CrashesInRow { get; set; }

    /// <summary>The loopback port of a worker behind the reverse proxy (0: none); a restart after a crash reuses it.</summary>
    public int Port { get; set; }
}

/// <summary>One started process.</summary>
internal sealed class ChildHandle(string id, ChildSlot slot, Process process, DateTimeOffset started, int port = 0)
{
    /// <summary>Its own loopback port behind the reverse proxy (0: none).</summary>
    public int Port { get; } = port;

    public string Id { get; } = id;

    public ChildSlot Slot { get; } = slot;

    public Process Process { get; } = process;

    public int Pid { get; } = process.Id;

    public DateTimeOffset Started { get; } = started;

    /// <summary>Completes when the child says it serves (its <c>ready</c>).</summary>
    public TaskCompletionSource Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the exit code.</summary>
    public TaskCompletionSource<int> Exited { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set when the parent asked it to stop, so its exit is not a crash.</summary>
    public volatile bool StopRequested;
}

/// <summary>The restart policy of <see cref="ChildSupervisor"/> (-server-restart-delay, -server-crash-delay).</summary>
internal sealed record RestartPolicy(TimeSpan RestartDelay, TimeSpan CrashDelay)
{
    /// <summary>How long to wait before starting again a process that exited after running <paramref name="ran"/>;
    /// counts the crash in the slot. The first exit is restarted at once (a worker killed under load is replaced
    /// quickly); a process that crashes again before it ran the crash delay waits the restart delay, doubled for each
    /// such crash in a row, never longer than the crash delay. A process that ran the crash delay starts a new count.</summary>
    public TimeSpan NextDelay(ChildSlot slot, TimeSpan ran)
    {
        ArgumentNullException.ThrowIfNull(slot);
        slot.CrashesInRow = ran >= CrashDelay ? 1 : slot.CrashesInRow + 1;
        if (slot.CrashesInRow == 1) return TimeSpan.Zero;
        var factor = Math.Pow(2, Math.Min(slot.CrashesInRow - 2, 30));
        return TimeSpan.FromMilliseconds(Math.Min(RestartDelay.TotalMilliseconds * factor, CrashDelay.TotalMilliseconds));
    }
}

/// <summary>Starts child processes of this program in their roles, learns over the <see cref="ControlServer"/> when
/// each serves, restarts any that exits unasked (with <see cref="RestartPolicy"/>), and stops them in order. A child
/// never outlives this process: its control connection ends with it.</summary>
internal sealed class ChildSupervisor : IAsyncDisposable
{
    private readonly ControlServer _control;
    private readonly RestartPolicy _policy;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, ChildHandle> _handles = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _pump;
    private int _generation;

    public ChildSupervisor(RestartPolicy policy, ILogger logger, TimeProvider time)
    {
        _policy = policy;
        _logger = logger;
        _time = time;
        _control = new ControlServer(logger);
        _pump = PumpAsync();
    }

    /// <summary>A child asked for a rolling restart of the Web workers (<c>/system/restart</c>).</summary>
    public event Action<ChildHandle>? RestartRequested;

    /// <summary>Any other message from a child (<c>stats</c>, <c>stats-part</c>).</summary>
    public event Action<ChildHandle, ControlMessage>? MessageReceived;

    /// <summary>Sends a message to a child; false when it is gone.</summary>
    public Task<bool> SendAsync(ChildHandle handle, ControlMessage message) => _control.SendAsync(handle.Id, message);

    /// <summary>A process exited unasked (before it is started again).</summary>
    public event Action<ChildHandle, int>? Crashed;

    /// <summary>A process was started again after a crash and says it serves.</summary>
    public event Action<ChildHandle>? Restarted;

    /// <summary>True once <see cref="StopAllAsync"/> began: nothing is restarted any more.</summary>
    public bool Stopping => _stopping.IsCancellationRequested;

    /// <summary>Starts a process in <paramref name="slot"/> (it becomes the slot's <see cref="ChildSlot.Current"/>
    /// unless <paramref name="replacement"/>, where the caller swaps it in), on <paramref name="port"/> behind the
    /// reverse proxy (null: the slot's <see cref="ChildSlot.Port"/>).</summary>
    public ChildHandle Start(ChildSlot slot, bool replacement = false, int? port = null)
    {
        var id = $"{slot.Name}.{Interlocked.Increment(ref _generation)}";
        var env = _control.ChildEnvironment(id);
        env[ChildVariables.Role] = slot.Role.ToString();
        foreach (var (k, v) in slot.Environment) env[k] = v;
        var own = port ?? slot.Port;
        if (own != 0) env[ChildVariables.Port] = own.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var process = Process.Start(SelfCommand.Create(SelfCommand.OriginalArguments, env))
            ?? throw new IOException($"could not start the {slot.Name} process");
        var handle = new ChildHandle(id, slot, process, _time.GetUtcNow(), own);
        lock (_handles) _handles[id] = handle;
        if (!replacement) slot.Current = handle;
        if (_logger.IsEnabled(LogLevel.Information)) _logger.LogInformation("started {Slot} (pid {Pid})", slot.Name, handle.Pid);
        _ = WatchAsync(handle);
        return handle;
    }

    /// <summary>Waits until <paramref name="handle"/> serves; false when it exited first or did not within
    /// <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitReadyAsync(ChildHandle handle, TimeSpan timeout, CancellationToken ct)
    {
        var done = await Task.WhenAny(handle.Ready.Task, handle.Exited.Task, Task.Delay(timeout, _time, ct));
        return done == handle.Ready.Task;
    }

    /// <summary>Stops <paramref name="handle"/>: asks it over the control socket (it finishes the work in hand, drains
    /// its connections, exits), then SIGTERM after <paramref name="grace"/>, then SIGKILL 10 s later.</summary>
    public async Task StopAsync(ChildHandle handle, TimeSpan grace)
    {
        handle.StopRequested = true;
        if (handle.Exited.Task.IsCompleted) return;
        if (!await _control.SendAsync(handle.Id, new ControlMessage("stop")))
            Posix.Kill(handle.Pid, Posix.SIGTERM);
        if (await Task.WhenAny(handle.Exited.Task, Task.Delay(grace, _time)) == handle.Exited.Task) return;
        _logger.LogWarning("{Slot} (pid {Pid}) did not stop in {Grace} s: SIGTERM", handle.Slot.Name, handle.Pid, grace.TotalSeconds);
        Posix.Kill(handle.Pid, Posix.SIGTERM);
        if (await Task.WhenAny(handle.Exited.Task, Task.Delay(TimeSpan.FromSeconds(10), _time)) == handle.Exited.Task) return;
        _logger.LogError("{Slot} (pid {Pid}) ignored SIGTERM: killed", handle.Slot.Name, handle.Pid);
        try
        {
            handle.Process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // gone meanwhile
        }
        await handle.Exited.Task;
    }

    /// <summary>Stops every process (in parallel) and restarts none after this.</summary>
    public async Task StopAllAsync(TimeSpan grace)
    {
        await _stopping.CancelAsync();
        List<ChildHandle> all;
        lock (_handles) all = [.. _handles.Values];
        await Task.WhenAll(all.Select(h => StopAsync(h, grace)));
    }

    /// <summary>Sends a signal to the current process of every slot (SIGHUP passes a restart on).</summary>
    public void Signal(int signal)
    {
        List<ChildHandle> all;
        lock (_handles) all = [.. _handles.Values];
        foreach (var h in all) Posix.Kill(h.Pid, signal);
    }

    private async Task WatchAsync(ChildHandle handle)
    {
        int code;
        try
        {
            await handle.Process.WaitForExitAsync(CancellationToken.None);
            code = handle.Process.ExitCode;
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            code = -1;
        }
        lock (_handles) _handles.Remove(handle.Id);
        handle.Process.Dispose();
        handle.Exited.TrySetResult(code);
        var slot = handle.Slot;
        if (handle.StopRequested || Stopping || !ReferenceEquals(slot.Current, handle)) return;

        var ran = _time.GetUtcNow() - handle.Started;
        var delay = _policy.NextDelay(slot, ran);
        if (_logger.IsEnabled(LogLevel.Error))
            _logger.LogError("{Slot} (pid {Pid}) exited with {Code} after {Ran:0.0} s; {Next}", slot.Name, handle.Pid, Describe(code), ran.TotalSeconds,
                delay == TimeSpan.Zero ? "starting it again" : $"crash {slot.CrashesInRow} in a row, starting it again in {delay.TotalSeconds:0.#} s");
        Crashed?.Invoke(handle, code);
        try
        {
            if (delay > TimeSpan.Zero) await Task.Delay(delay, _time, _stopping.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        if (Stopping || !ReferenceEquals(slot.Current, handle)) return;
        ChildHandle next;
        try
        {
            next = Start(slot);
        }
        catch (Exception ex) when (ex is IOException or System.ComponentModel.Win32Exception)
        {
            _logger.LogError("could not start {Slot} again: {Error}", slot.Name, ex.Message);
            return;
        }
        if (await WaitReadyAsync(next, TimeSpan.FromMinutes(2), _stopping.Token).ConfigureAwait(false)) Restarted?.Invoke(next);
    }

    private static string Describe(int code) => code > 128 && code < 160 ? $"code {code} (signal {code - 128})" : $"code {code}";

    private async Task PumpAsync()
    {
        await foreach (var message in _control.Messages.ReadAllAsync())
        {
            ChildHandle? handle;
            lock (_handles) _handles.TryGetValue(message.Id ?? "", out handle);
            if (handle is null) continue;
            switch (message.Op)
            {
                case "ready":
                    handle.Ready.TrySetResult();
                    break;
                case "restart":
                    RestartRequested?.Invoke(handle);
                    break;
                default:
                    MessageReceived?.Invoke(handle, message);
                    break;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _control.DisposeAsync();
        await _pump;
        _stopping.Dispose();
    }
}
