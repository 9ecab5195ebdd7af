using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using Backend.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Backend.Runtime;

/// <summary>The Web server parent (<c>-web</c>, "bkcs: server"): owns the port, keeps -server-max-workers worker
/// processes serving it (SO_REUSEPORT: the kernel spreads the connections; or, with <c>-proxy-port</c>, the parent
/// listens and forwards to each worker on its own loopback port: <see cref="ReverseProxy"/>), restarts a worker that exits, and
/// restarts them one at a time on SIGHUP or <c>/system/restart</c>: a replacement is started and answers before the old
/// worker drains and exits, so no request fails. With <c>-master</c> as the top process it also keeps the master
/// running.</summary>
internal sealed class WebServerRunner : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    private readonly BackendApplication _app;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _restartLock = new(1, 1);
    private readonly List<ChildSlot> _workers = [];
    private readonly ProxyRotation _rotation = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, StatsGather> _gathers = new(StringComparer.Ordinal);
    private int[] _proxyPorts = [];
    private ChildSupervisor? _supervisor;
    private ChildSlot? _master;
    private int _restartPending;

    public WebServerRunner(BackendApplication app)
    {
        _app = app;
        _logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Backend.Server");
        _time = app.Services.GetRequiredService<TimeProvider>();
    }

    /// <summary>The worker processes: -server-max-workers, else one per core.</summary>
    public static int WorkerCount(Configuration.BackendConfig config) => config.GetInt("server-max-workers") is > 0 and var n ? n : Environment.ProcessorCount;

    public async Task<int> RunAsync(RuntimePlan plan, CancellationToken ct)
    {
        await using var link = await ParentLink.ConnectAsync(ProcessRuntime.CurrentEnvironment(), ct);
        using var signals = ProcessRuntime.OnStopSignals(ct, out var registrations);
        using var registered = registrations;
        using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c =>
        {
            c.Cancel = true;
            _ = RollingRestartAsync("SIGHUP");
        });
        var config = _app.Config;
        var count = WorkerCount(config);
        var proxied = config.GetInt("proxy-port") > 0;
        if (proxied)
        {
            _proxyPorts = ReverseProxy.WorkerPorts(config, count);
            ReverseProxy.CheckFree(config, _proxyPorts);
        }
        using var guards = proxied ? null : PortGuard.Claim(config);
        var policy = new RestartPolicy(TimeSpan.FromMilliseconds(config.GetInt("server-restart-delay")), TimeSpan.FromMilliseconds(config.GetInt("server-crash-delay")));
        await using var supervisor = new ChildSupervisor(policy, _logger, _time);
        _supervisor = supervisor;
        supervisor.RestartRequested += h => _ = RollingRestartAsync($"a request to /system/restart (worker pid {h.Pid})");
        // Behind the proxy a worker takes requests once it serves and stops taking them the moment it exits.
        supervisor.Crashed += (_, _) => UpdateRotation();
        supervisor.Restarted += _ => UpdateRotation();
        supervisor.MessageReceived += OnChildMessage;

        for (var i = 1; i <= count; i++) _workers.Add(new ChildSlot($"web-{i}", ProcessRole.Worker) { Port = proxied ? _proxyPorts[i - 1] : 0 });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(signals.Token, link.StopRequested);
        // The proxy listens first: a taken port is an error before any worker starts; until one serves it answers 503.
        await using var proxy = proxied ? await ReverseProxy.StartAsync(config, _app.Services.GetRequiredService<ILoggerFactory>(), _rotation, stop.Token) : null;
        if (plan.ChildId is null && config.GetBool("master"))
        {
            _master = new ChildSlot("master", ProcessRole.Master);
            supervisor.Start(_master);
        }
        var started = _workers.Select(w => supervisor.Start(w)).ToList();
        var ready = await Task.WhenAll(started.Select(h => supervisor.WaitReadyAsync(h, StartTimeout, stop.Token)));
        if (ready.Any(r => !r))
        {
            if (!stop.IsCancellationRequested)
                _logger.LogError("the Web workers did not start (see their errors above); stopping");
            await supervisor.StopAllAsync(TimeSpan.FromSeconds(5));
            return stop.IsCancellationRequested ? 0 : 1;
        }
        UpdateRotation();
        if (_logger.IsEnabled(LogLevel.Information))
        {
            _logger.LogInformation("serving {Urls} with {Count} worker processes ({Mode}); SIGHUP or /system/restart restarts them one at a time",
                string.Join(", ", proxy?.Urls ?? guards!.Urls), count,
                proxy is null ? "SO_REUSEPORT" : $"reverse proxy to 127.0.0.1:{_proxyPorts[0]}-{_proxyPorts[^1]}");
        }
        await link.SendAsync("ready");
        var reporting = ReportStatsAsync(stop.Token);
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            // SIGTERM, Ctrl-C, or the monitor asked
        }
        await reporting;
        _logger.LogInformation("stopping the Web workers");
        await _restartLock.WaitAsync(CancellationToken.None);
        // The proxy stops taking connections while the workers drain what they have.
        var proxyStopped = proxy?.StopAsync(DrainGrace(config)) ?? Task.CompletedTask;
        await supervisor.StopAllAsync(DrainGrace(config));
        await proxyStopped;
        return 0;
    }

    private void OnChildMessage(ChildHandle from, ControlMessage message)
    {
        if (message.Data is not { ValueKind: JsonValueKind.Object } data || !data.TryGetProperty("req", out var r) || r.GetString() is not { Length: > 0 } req) return;
        if (message.Op == "stats") _ = GatherStatsAsync(from, req);
        else if (message.Op == "stats-part" && _gathers.TryGetValue(req, out var gather) && data.TryGetProperty("stats", out var part)) gather.Add(part.Clone());
    }

    /// <summary><c>/system/stats/get</c> on a worker: the machine's statistics (<see cref="MachineStatsAsync"/>),
    /// answered to the worker that asked.</summary>
    private async Task GatherStatsAsync(ChildHandle asker, string req)
    {
        try
        {
            var merged = await MachineStatsAsync(req);
            var result = new Dictionary<string, object?> { ["req"] = req, ["stats"] = merged };
            await _supervisor!.SendAsync(asker, new ControlMessage("stats-result", Data: JsonSerializer.SerializeToElement(result)));
        }
        catch (Exception ex) when (ex is JsonException or IOException or InvalidOperationException)
        {
            if (_logger.IsEnabled(LogLevel.Warning)) _logger.LogWarning("statistics could not be merged: {Error}", ex.Message);
        }
    }

    /// <summary>Every serving worker's statistics, merged (a worker that does not answer within 2 s is left out); null
    /// when none answered.</summary>
    private async Task<Metrics.ProcessStats?> MachineStatsAsync(string req)
    {
        var supervisor = _supervisor!;
        // The workers, and the master when this parent runs it (its jobs' figures).
        var workers = _workers.Append(_master).Select(w => w?.Current).Where(h => h is not null && h.Ready.Task.IsCompleted && !h.Exited.Task.IsCompleted).Select(h => h!).ToList();
        var gather = new StatsGather(workers.Count);
        _gathers[req] = gather;
        try
        {
            var ask = JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["req"] = req });
            foreach (var w in workers) await supervisor.SendAsync(w, new ControlMessage("stats-collect", Data: ask));
            try
            {
                await gather.Done.Task.WaitAsync(TimeSpan.FromSeconds(2));
            }
            catch (TimeoutException)
            {
                if (_logger.IsEnabled(LogLevel.Warning)) _logger.LogWarning("statistics: {Got} of {Count} workers answered within 2 s", gather.Count, workers.Count);
            }
            var parts = gather.Parts.Select(p => p.Deserialize<Metrics.ProcessStats>()).OfType<Metrics.ProcessStats>().ToList();
            return parts.Count == 0 ? null : Metrics.ProcessStats.Merge(parts);
        }
        finally
        {
            _gathers.TryRemove(req, out _);
        }
    }

    /// <summary>-collect-host: the machine's statistics posted on a schedule (Metrics/StatsReporter), from this parent.</summary>
    private Task ReportStatsAsync(CancellationToken ct)
    {
        if (_app.Services.GetService<Metrics.StatsReporter>() is not { } reporter) return Task.CompletedTask;
        var n = 0;
        return reporter.RunAsync(_ => MachineStatsAsync($"collect-{++n}"), ct);
    }

    private sealed class StatsGather(int expected)
    {
        private readonly List<JsonElement> _parts = [];

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Count
        {
            get
            {
                lock (_parts) return _parts.Count;
            }
        }

        public List<JsonElement> Parts
        {
            get
            {
                lock (_parts) return [.. _parts];
            }
        }

        public void Add(JsonElement part)
        {
            lock (_parts)
            {
                _parts.Add(part);
                if (_parts.Count >= expected) Done.TrySetResult();
            }
        }
    }

    /// <summary>The workers that take new requests behind the proxy: each slot's process once it serves, until it exits.</summary>
    private void UpdateRotation()
    {
        if (_proxyPorts.Length == 0) return;
        _rotation.Set(_workers.Select(w => w.Current)
            .Where(h => h is not null && h.Ready.Task.IsCompleted && !h.Exited.Task.IsCompleted)
            .Select(h => h!.Port));
    }

    /// <summary>The proxy port no worker holds now: there is one more than the workers, for a replacement.</summary>
    private int SparePort()
    {
        var held = _workers.Select(w => w.Port).ToHashSet();
        return _proxyPorts.First(p => !held.Contains(p));
    }

    public void Dispose() => _restartLock.Dispose();

    private static TimeSpan DrainGrace(Configuration.BackendConfig config) => TimeSpan.FromMilliseconds(config.GetInt("server-drain-time")) + TimeSpan.FromSeconds(30);

    /// <summary>Restarts the workers one at a time; a request while one runs is done once after it.</summary>
    private async Task RollingRestartAsync(string reason)
    {
        var supervisor = _supervisor;
        if (supervisor is null || supervisor.Stopping) return;
        if (Interlocked.Exchange(ref _restartPending, 1) == 1) return; // one is already waiting
        await _restartLock.WaitAsync();
        try
        {
            Interlocked.Exchange(ref _restartPending, 0);
            if (supervisor.Stopping) return;
            if (_logger.IsEnabled(LogLevel.Information)) _logger.LogInformation("restarting the Web workers one at a time ({Reason})", reason);
            var grace = DrainGrace(_app.Config);
            foreach (var slot in _workers)
            {
                if (supervisor.Stopping) return;
                var old = slot.Current;
                var next = supervisor.Start(slot, replacement: true, port: _proxyPorts.Length > 0 ? SparePort() : 0);
                if (!await supervisor.WaitReadyAsync(next, StartTimeout, CancellationToken.None))
                {
                    _logger.LogError("the new {Slot} did not start (see its errors above): the restart stops here, the running workers keep serving", slot.Name);
                    await supervisor.StopAsync(next, TimeSpan.FromSeconds(5));
                    return;
                }
                slot.Current = next;
                slot.Port = next.Port;
                slot.CrashesInRow = 0;
                // Behind the proxy the replacement takes new requests from now on and the old worker none.
                UpdateRotation();
                if (old is not null) await supervisor.StopAsync(old, grace);
            }
            _logger.LogInformation("the Web workers were restarted");
        }
        finally
        {
            _restartLock.Release();
        }
    }
}

/// <summary>The Web server parent's hold on its ports: each is bound (not listened on) with SO_REUSEPORT, so a port
/// another program listens on is a clear error at start, and the workers, binding the same way, share it.</summary>
internal sealed class PortGuard : IDisposable
{
    private readonly List<Socket> _sockets;

    private PortGuard(List<Socket> sockets, List<string> urls)
    {
        _sockets = sockets;
        Urls = urls;
    }

    public IReadOnlyList<string> Urls { get; }

    public static PortGuard Claim(Configuration.BackendConfig config)
    {
        var sockets = new List<Socket>();
        var urls = new List<string>();
        var bind = config.GetString("bind", "127.0.0.1");
        try
        {
            Add(bind, config.GetInt("port"), "http", config.GivenName("port"));
            if (config.GetInt("ssl-port") is > 0 and var ssl) Add(config.GetString("ssl-bind", "") is { Length: > 0 } b ? b : bind, ssl, "https", config.GivenName("ssl-port"));
            if (config.GetInt("ws-port") is > 0 and var ws && ws != config.GetInt("port")) Add(config.GetString("ws-bind", "") is { Length: > 0 } b ? b : bind, ws, "ws", config.GivenName("ws-port"));
        }
        catch
        {
            foreach (var s in sockets) s.Dispose();
            throw;
        }
        return new PortGuard(sockets, urls);

        void Add(string address, int port, string scheme, string name)
        {
            var ip = address is "0.0.0.0" or "*" or "" ? IPAddress.Any : address == "localhost" ? IPAddress.Loopback : IPAddress.Parse(address);
            var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.SetRawSocketOption(1, 15, BitConverter.GetBytes(1));
            try
            {
                socket.Bind(new IPEndPoint(ip, port));
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                throw new IOException($"-{name} {port}: {ex.Message}", ex);
            }
            sockets.Add(socket);
            urls.Add($"{scheme}://{address}:{port}");
        }
    }

    public void Dispose()
    {
        foreach (var s in _sockets) s.Dispose();
    }
}
