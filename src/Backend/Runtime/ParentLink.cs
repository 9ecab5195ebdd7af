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

    public static async Task<ParentLink> ConnectAsync(IReadOnlyDictionary<string, string> environment, CancellationToken ct)
    {
        ParentLink? link = null;
        var client = await ControlClient.ConnectAsync(environment, message =>
        {
            if (message.Op == "stop") link?.Stop("the parent asked it to stop");
            return Task.CompletedTask;
        }, ct);
        link = new ParentLink(client);
        return link;
    }

    public Task<bool> SendAsync(string op) => _client?.SendAsync(op) ?? Task.FromResult(false);

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
