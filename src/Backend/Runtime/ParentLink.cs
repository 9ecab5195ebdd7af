namespace Backend.Runtime;

/// <summary>A child's link to the parent that started it: <see cref="StopRequested"/> fires when the parent asks it to
/// stop or is gone (exited, killed), so no child outlives its parent; <see cref="SendAsync"/> tells the parent
/// <c>ready</c> or <c>restart</c>. A process started by hand has no parent: nothing fires, sends do nothing.</summary>
internal sealed class ParentLink : IAsyncDisposable
{
    private readonly ControlClient? _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenRegistration _gone;

    private ParentLink(ControlClient? client)
    {
        _client = client;
        if (client is not null) _gone = client.ParentGone.Register(() => Stop("the parent process is gone"));
    }

    /// <summary>Fires on the parent's <c>stop</c> or when the parent is gone.</summary>
    public CancellationToken StopRequested => _stop.Token;

    /// <summary>Why <see cref="StopRequested"/> fired.</summary>
    public string? StopReason { get; private set; }

    /// <summary>True when a parent started this process.</summary>
    public bool HasParent => _client is not null;

    /// <summary>This process's statistics, for the parent's <c>stats-collect</c> (set by the worker's runner).</summary>
    public Func<System.Text.Json.JsonElement>? StatsProvider { get; set; }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource<System.Text.Json.JsonElement>> _pending = new(StringComparer.Ordinal);

    public static async Task<ParentLink> ConnectAsync(IReadOnlyDictionary<string, string> environment, CancellationToken ct)
    {
        ParentLink? link = null;
        var client = await ControlClient.ConnectAsync(environment, message => link?.OnMessage(message) ?? Task.CompletedTask, ct);
        link = new ParentLink(client);
        return link;
    }

    public Task<bool> SendAsync(string op) => _client?.SendAsync(op) ?? Task.FromResult(false);

    /// <summary>Asks the parent for the machine's statistics (<c>stats</c>: it collects every worker's and merges
    /// them); null without a parent or when it does not answer within <paramref name="timeout"/>.</summary>
    public async Task<System.Text.Json.JsonElement?> RequestStatsAsync(TimeSpan timeout, CancellationToken ct)
    {
        if (_client is null) return null;
        var id = Guid.NewGuid().ToString("N");
        var answer = new TaskCompletionSource<System.Text.Json.JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        try
        {
            if (!await _client.SendAsync(new ControlMessage("stats", Data: System.Text.Json.JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["req"] = id })))) return null;
            return await answer.Task.WaitAsync(timeout, ct);
        }
        catch (TimeoutException)
        {
            return null;
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private async Task OnMessage(ControlMessage message)
    {
        switch (message.Op)
        {
            case "stop":
                Stop("the parent asked it to stop");
                break;
            case "stats-collect" when message.Data is { } data && StatsProvider is { } provider && _client is not null:
                var part = new Dictionary<string, object> { ["req"] = data.GetProperty("req").GetString() ?? "", ["stats"] = provider() };
                await _client.SendAsync(new ControlMessage("stats-part", Data: System.Text.Json.JsonSerializer.SerializeToElement(part)));
                break;
            case "stats-result" when message.Data is { } data && data.TryGetProperty("req", out var req) && _pending.TryGetValue(req.GetString() ?? "", out var pending):
                pending.TrySetResult(data.GetProperty("stats"));
                break;
        }
    }

    private void Stop(string reason)
    {
        StopReason ??= reason;
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // disposed meanwhile
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gone.DisposeAsync();
        if (_client is not null) await _client.DisposeAsync();
        _stop.Dispose();
    }
}
