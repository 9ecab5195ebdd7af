using System.Diagnostics;
using System.Threading.Channels;
using Backend.Data;
using Backend.Metrics;
using Backend.Push;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backend.Api.Push;

/// <summary>The push queue: notifications for accounts (from the app through <see cref="IPushNotifier"/>, or from the
/// built-in triggers through <see cref="IAccountEventListener"/>) wait in a bounded in-memory channel
/// (<c>-push-queue-size</c>; when full, new ones are dropped and counted) and are handled by
/// <c>-push-concurrency</c> workers: one step reads the account (mute flags, <c>device_id</c>), its status (offline
/// only) and its devices, the next sends to each device through the sender of its service, whose sends multiplex over
/// one HTTP/2 connection. A send the service answers "later" (429, 5xx, timeout) comes back after a growing delay
/// with jitter, or the service's <c>Retry-After</c> when longer, at most <c>-push-retries</c> times; a device the
/// service reports dead is removed from the account. Every send is counted (<c>backend.push.*</c>). Nothing of this
/// runs on the request path; the queue lives in the process (a process that stops loses what it had not sent).</summary>
internal sealed partial class PushDelivery : BackgroundService, IPushNotifier, IAccountEventListener
{
    private readonly Db _db;
    private readonly Dictionary<string, IPushSender> _senders;
    private readonly PushOptions _options;
    private readonly PushTriggerOptions _triggers;
    private readonly BackendMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<PushDelivery> _logger;
    private readonly IAccountPresence? _presence;
    private readonly Channel<Work> _queue;
    private readonly bool _anyEnabled;
    private long _lastFailureLog = long.MinValue;

    public PushDelivery(Db db, IEnumerable<IPushSender> senders, IOptions<PushOptions> options, IOptions<PushTriggerOptions> triggers,
        BackendMetrics metrics, TimeProvider time, ILogger<PushDelivery> logger, IEnumerable<IAccountPresence> presence)
    {
        ArgumentNullException.ThrowIfNull(senders);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(triggers);
        _db = db;
        _options = options.Value;
        _triggers = triggers.Value;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _presence = presence?.LastOrDefault();
        // One sender per service: an enabled one wins over one that is not configured; among equals the last
        // registered (an app's, registered after the built-ins) wins.
        _senders = new Dictionary<string, IPushSender>(StringComparer.Ordinal);
        foreach (var sender in senders)
        {
            if (!_senders.TryGetValue(sender.Service, out var had) || sender.Enabled || !had.Enabled) _senders[sender.Service] = sender;
        }
        _anyEnabled = _senders.Values.Any(s => s.Enabled);
        _queue = Channel.CreateBounded<Work>(new BoundedChannelOptions(_options.QueueSize)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
        });
    }

    /// <summary>True when at least one push service is configured.</summary>
    public bool Enabled => _anyEnabled;

    /// <summary>The sender of a service, or null.</summary>
    public IPushSender? Sender(string service) => _senders.GetValueOrDefault(service);

    /// <summary>Items waiting in the queue (for tests and diagnostics).</summary>
    public int Pending => _queue.Reader.CanCount ? _queue.Reader.Count : -1;

    public bool Notify(string accountId, PushNotification notification)
    {
        ArgumentException.ThrowIfNullOrEmpty(accountId);
        ArgumentNullException.ThrowIfNull(notification);
        return _anyEnabled && Enqueue(new Work(accountId, notification, null, null, null, 0));
    }

    public void OnEvent(AccountEvent accountEvent)
    {
        ArgumentNullException.ThrowIfNull(accountEvent);
        if (!_anyEnabled || accountEvent.Actor == accountEvent.AccountId || TriggerOf(accountEvent) is not { } trigger || !_triggers.IsOn(trigger)) return;
        Enqueue(new Work(accountEvent.AccountId, null, accountEvent, null, null, 0));
    }

    private static string? TriggerOf(AccountEvent e) => e.Path switch
    {
        "/message/add" => PushTriggerOptions.Message,
        "/connection/add" => PushTriggerOptions.Connection,
        "/counter/incr" when e.Type is { } names && names.Split(',').Contains("ping", StringComparer.Ordinal) => PushTriggerOptions.Ping,
        _ => null,
    };

    private bool Enqueue(Work work)
    {
        if (_queue.Writer.TryWrite(work)) return true;
        _metrics.PushDropped.Add(1);
        if (ShouldLogFailure()) LogQueueFull(_logger, _options.QueueSize);
        return false;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // No service configured: nothing is ever queued, no worker is needed.
        if (!_anyEnabled) return Task.CompletedTask;
        var workers = new Task[_options.Concurrency];
        for (var i = 0; i < workers.Length; i++) workers[i] = Task.Run(() => Worker(stoppingToken), CancellationToken.None);
        return Task.WhenAll(workers);
    }

    private async Task Worker(CancellationToken stoppingToken)
    {
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                while (_queue.Reader.TryRead(out var work))
                {
                    try
                    {
                        if (work.Device is null) await Expand(work, stoppingToken);
                        else await Send(work, stoppingToken);
                    }
                    catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception ex) when (ex is DbException or InvalidOperationException or ArgumentException or FormatException)
                    {
                        // A database that is down, or a row an app wrote that is not what the module expects: this
                        // notification is lost (logged), the queue goes on.
                        if (ShouldLogFailure()) LogWorkFailed(_logger, work.AccountId, ex.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    // Who gets it and what it says: the account (mute flags, device_id), its status, its devices.
    private async Task Expand(Work work, CancellationToken cancellationToken)
    {
        var notification = work.Notification ?? await FromEvent(work.Event!, cancellationToken);
        if (notification is null) return;
        var account = await _db.GetAsync(AccountTables.Account, new DbRow { ["id"] = work.AccountId },
            new DbOptions { Select = ["id", PushTables.AccountDeviceColumn, PushTables.AccountMuteColumn] }, cancellationToken);
        if (account is null || Muted(account.GetString(PushTables.AccountMuteColumn), notification.Kind)) return;
        if (notification.OnlyOffline && _presence is not null && await _presence.IsOnlineAsync(work.AccountId, cancellationToken)) return;

        var devices = new List<string>();
        if (PushDevice.TryParse(account.GetString(PushTables.AccountDeviceColumn), out var own)) devices.Add(own.ToString());
        var rows = await _db.SelectAsync(PushTables.Device, new DbRow { ["id"] = work.AccountId },
            new DbOptions { Count = PushTables.MaxDevicesPerAccount, Select = ["device"] }, cancellationToken);
        foreach (var row in rows.Rows)
        {
            if (row.GetString("device") is { } device && !devices.Contains(device, StringComparer.Ordinal)) devices.Add(device);
        }
        if (devices.Count == 0) return;

        var text = notification.Text;
        if (!string.IsNullOrEmpty(notification.Prefix)) text = string.IsNullOrEmpty(text) ? notification.Prefix : notification.Prefix + " " + text;
        var message = new PushMessage(text, notification.Badge, notification.Sound, notification.Data) { Title = notification.Title };
        foreach (var device in devices) Enqueue(new Work(work.AccountId, null, null, device, message, 0));
    }

    private static bool Muted(string? mute, string? kind)
    {
        if (string.IsNullOrWhiteSpace(mute)) return false;
        foreach (var item in mute.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (item.Equals("all", StringComparison.OrdinalIgnoreCase) || (kind is not null && item.Equals(kind, StringComparison.OrdinalIgnoreCase))) return true;
        }
        return false;
    }

    private async Task<PushNotification?> FromEvent(AccountEvent e, CancellationToken cancellationToken)
    {
        var trigger = TriggerOf(e);
        if (trigger is null) return null;
        var alias = e.Actor;
        if (e.Actor is not null
            && await _db.GetAsync(AccountTables.Account, new DbRow { ["id"] = e.Actor }, new DbOptions { Select = ["id", "alias", "name"] }, cancellationToken) is { } actor)
        {
            alias = actor.GetString("alias") is { Length: > 0 } a ? a : actor.GetString("name") ?? e.Actor;
        }
        var template = trigger switch
        {
            PushTriggerOptions.Message => _triggers.MessageText,
            PushTriggerOptions.Connection => _triggers.ConnectionText,
            _ => _triggers.PingText,
        };
        var text = template
            .Replace("{alias}", alias ?? "", StringComparison.Ordinal)
            .Replace("{type}", e.Type ?? "", StringComparison.Ordinal)
            .Replace("{msg}", e.Text is { Length: > 0 } msg ? Shorten(msg, 200) : "sent an image", StringComparison.Ordinal);
        return new PushNotification(text, null, _triggers.Prefix)
        {
            Sound = _triggers.Sound.Length == 0 ? null : _triggers.Sound,
            Kind = trigger,
            OnlyOffline = true,
        };
    }

    private static string Shorten(string text, int max)
    {
        if (text.Length <= max) return text;
        var cut = max;
        if (char.IsHighSurrogate(text[cut - 1])) cut--;
        return string.Concat(text.AsSpan(0, cut), "…");
    }

    private async Task Send(Work work, CancellationToken cancellationToken)
    {
        if (!PushDevice.TryParse(work.Device, out var device)) return;
        var sender = _senders.GetValueOrDefault(device.Service);
        PushResult result;
        var started = Stopwatch.GetTimestamp();
        if (sender is null) result = PushResult.Fail("no push service " + device.Service);
        else if (!sender.Enabled) result = PushResult.Fail(device.Service + " is not configured");
        else
        {
            try
            {
                result = await sender.SendAsync(device.Token, work.Message!, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // A sender must not throw; one that does is a bug in it, not in the device.
                result = PushResult.Fail(ex.GetType().Name + ": " + ex.Message);
            }
            _metrics.PushDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("push.service", device.Service));
        }

        switch (result.Outcome)
        {
            case PushOutcome.Sent:
                Count(device.Service, "sent");
                break;
            case PushOutcome.DeadDevice:
                Count(device.Service, "dead");
                LogDead(_logger, device.Service, work.AccountId, result.Reason ?? "");
                await RemoveDevice(work.AccountId, device.ToString(), CancellationToken.None);
                break;
            case PushOutcome.RetryLater:
                var delay = RetryDelay(work.Attempt, result.RetryAfter);
                if (work.Attempt >= _options.Retries || delay is null)
                {
                    Count(device.Service, "gave_up");
                    if (ShouldLogFailure()) LogGaveUp(_logger, device.Service, work.AccountId, work.Attempt + 1, result.Reason ?? "");
                    break;
                }
                Count(device.Service, "retry");
                _ = RetryLater(work with { Attempt = work.Attempt + 1 }, delay.Value, cancellationToken);
                break;
            default:
                Count(device.Service, "failed");
                if (ShouldLogFailure()) LogFailed(_logger, device.Service, work.AccountId, result.Reason ?? "");
                break;
        }
    }

    /// <summary>The wait before retry number <paramref name="attempt"/> + 1: <c>-push-retry-delay</c> doubled per
    /// attempt with ±50% jitter, at least the service's Retry-After, capped at <c>-push-retry-max-delay</c>; null when
    /// the service asked for longer than the cap (give up).</summary>
    internal TimeSpan? RetryDelay(int attempt, TimeSpan? retryAfter)
    {
        var max = TimeSpan.FromMilliseconds(_options.RetryMaxDelayMs);
        if (retryAfter is { } asked && asked > max) return null;
        var backoff = _options.RetryDelayMs * Math.Pow(2, Math.Min(attempt, 30)) * (0.5 + Random.Shared.NextDouble());
        var delay = TimeSpan.FromMilliseconds(Math.Min(backoff, _options.RetryMaxDelayMs));
        return retryAfter is { } after && after > delay ? after : delay;
    }

    private async Task RetryLater(Work work, TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _time, cancellationToken);
            Enqueue(work);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the retry is lost with the rest of the queue.
        }
    }

    /// <summary>Removes a device the service reported dead: its row, its owner row when the account holds it, and
    /// the account's <c>device_id</c> when it is that device.</summary>
    internal async Task RemoveDevice(string accountId, string canonicalDevice, CancellationToken cancellationToken)
    {
        var key = PushTables.Key(canonicalDevice);
        await _db.DelAsync(PushTables.Device, new DbRow { ["id"] = accountId, ["dkey"] = key }, cancellationToken);
        await PushTables.ReleaseOwner(_db, key, accountId, cancellationToken);
        var account = await _db.GetAsync(AccountTables.Account, new DbRow { ["id"] = accountId },
            new DbOptions { Select = ["id", PushTables.AccountDeviceColumn] }, cancellationToken);
        if (PushDevice.TryParse(account?.GetString(PushTables.AccountDeviceColumn), out var own) && own.ToString() == canonicalDevice)
            await _db.UpdateAsync(AccountTables.Account, new DbRow { ["id"] = accountId, [PushTables.AccountDeviceColumn] = null }, cancellationToken);
    }

    private void Count(string service, string outcome) =>
        _metrics.PushSends.Add(1, new KeyValuePair<string, object?>("push.service", service), new KeyValuePair<string, object?>("push.outcome", outcome));

    // At most one failure line per second: a service that is down would otherwise log once per device.
    private bool ShouldLogFailure()
    {
        var now = Stopwatch.GetTimestamp();
        var last = Interlocked.Read(ref _lastFailureLog);
        return now - last >= Stopwatch.Frequency && Interlocked.CompareExchange(ref _lastFailureLog, now, last) == last;
    }

    private sealed record Work(string AccountId, PushNotification? Notification, AccountEvent? Event, string? Device, PushMessage? Message, int Attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "push: {Service} reports a device of account {AccountId} gone ({Reason}); it is removed")]
    private static partial void LogDead(ILogger logger, string service, string accountId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "push: {Service} refused a notification for account {AccountId}: {Reason} (further failures within a second are counted, not logged)")]
    private static partial void LogFailed(ILogger logger, string service, string accountId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "push: gave up on a notification to {Service} for account {AccountId} after {Tries} tries: {Reason}")]
    private static partial void LogGaveUp(ILogger logger, string service, string accountId, int tries, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "push: the queue is full ({Size}, -push-queue-size): notifications are dropped")]
    private static partial void LogQueueFull(ILogger logger, int size);

    [LoggerMessage(Level = LogLevel.Warning, Message = "push: a notification for account {AccountId} is lost: {Reason}")]
    private static partial void LogWorkFailed(ILogger logger, string accountId, string reason);
}
