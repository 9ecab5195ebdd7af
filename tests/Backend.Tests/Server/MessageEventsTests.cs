using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Backend.Api;
using Backend.Files;
using Backend.Hosting;
using Microsoft.Extensions.DependencyInjection;
using static Backend.Tests.Server.MessageTestSupport;

namespace Backend.Tests.Server;

/// <summary>What the black-box tests cannot see from outside, on an in-process server (SQLite): <c>/message/add</c>
/// publishes an event to the recipient (unless <c>_publish=0</c>), and an app's own <see cref="IFileStore"/>,
/// registered before the built-in modules, replaces the local one.</summary>
public sealed class MessageEventsTests : IAsyncLifetime
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "bkcs-msg-" + Guid.NewGuid().ToString("N"));
    private readonly MemoryFileStore _files = new();
    private BackendApplication? _app;
    private Uri? _base;

    public async ValueTask InitializeAsync()
    {
        var port = FreePort();
        _base = new Uri($"http://127.0.0.1:{port}");
        var builder = BackendApplicationBuilder.CreateBuilder(["-home", _home, "-api-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-api-bind", "127.0.0.1", "-log", "warn"]);
        builder.Services.AddSingleton<IFileStore>(_files);
        _app = builder.Build();
        await _app.StartAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        BackendServer.DeleteHome(_home);
    }

    private async Task<TestAccount> AddAccount()
    {
        using var client = new BackendClient(_base!);
        var (login, secret) = (Accounts.UniqueLogin(), Accounts.NewSecret());
        var r = await client.PostForm("/account/add", ("login", login), ("secret", secret), ("name", "N"));
        ApiAssert.Ok(r);
        return new TestAccount(login, secret, r.Str("id")!);
    }

    [Fact]
    public async Task Add_publishes_to_the_recipient_unless_publish_is_off()
    {
        var a = await AddAccount();
        var b = await AddAccount();
        var events = new ConcurrentQueue<string>();
        var bus = _app!.Services.GetRequiredService<AccountEvents>();
        await using (await bus.Subscribe(b.Id, events.Enqueue, TestContext.Current.CancellationToken))
        {
            using var ca = new BackendClient(_base!, a);
            await Send(ca, b.Id, "quiet", ("_publish", "0"));
            await Send(ca, b.Id, "hello");
            for (var i = 0; i < 100 && events.IsEmpty; i++) await Task.Delay(20, TestContext.Current.CancellationToken);
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        var e = Assert.Single(events);
        var json = JsonNode.Parse(e)!.AsObject();
        Assert.Equal("/message/add", json["path"]!.ToString());
        Assert.Equal("1", json["type"]!.ToString());
        Assert.Equal(a.Id, json["id"]!.ToString());
        Assert.True(json["mtime"]!.GetValue<long>() > 0);
        Assert.DoesNotContain("hello", e, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_app_file_store_replaces_the_local_one()
    {
        var a = await AddAccount();
        var b = await AddAccount();
        using var ca = new BackendClient(_base!, a);
        using var cb = new BackendClient(_base!, b);
        var png = Png(3000);
        var added = await Send(ca, b.Id, "pic", ("icon", Convert.ToBase64String(png)));
        var stored = Assert.Single(_files.Files, kv => kv.Value.SequenceEqual(Stored(png)));
        Assert.StartsWith("message/", stored.Key, StringComparison.Ordinal);
        Assert.EndsWith(".png", stored.Key, StringComparison.Ordinal);
        Assert.Empty(Directory.Exists(Path.Combine(_home, "images")) ? Directory.GetFiles(Path.Combine(_home, "images"), "*", SearchOption.AllDirectories) : []);
        var (status, type, body) = await GetBytes(cb, $"/message/image?sender={a.Id}&mtime={added["mtime"]}");
        Assert.Equal(200, status);
        Assert.Equal("image/png", type);
        Assert.Equal(Stored(png), body);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>An in-memory store, as an app might plug in (S3 and the like).</summary>
    private sealed class MemoryFileStore : IFileStore
    {
        public ConcurrentDictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);

        public async Task PutAsync(string path, Stream content, CancellationToken cancellationToken = default)
        {
            using var ms = new MemoryStream();
            await content.CopyToAsync(ms, cancellationToken);
            Files[FileStorePath.Validate(path)] = ms.ToArray();
        }

        public Task PutAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
        {
            Files[FileStorePath.Validate(path)] = content.ToArray();
            return Task.CompletedTask;
        }

        public Task<Stream?> OpenAsync(string path, CancellationToken cancellationToken = default) =>
            Task.FromResult<Stream?>(Files.TryGetValue(path, out var b) ? new MemoryStream(b, writable: false) : null);

        public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default) => Task.FromResult(Files.TryRemove(path, out _));

        public Task<bool> ExistsAsync(string path, CancellationToken cancellationToken = default) => Task.FromResult(Files.ContainsKey(path));
    }
}
