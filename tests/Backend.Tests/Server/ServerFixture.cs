using System.Text.Json.Nodes;

namespace Backend.Tests.Server;

/// <summary>One server for a test class (xunit class fixture). Tests share it, so each uses its own accounts.
/// Subclasses pass extra command-line arguments.</summary>
public class ServerFixture : IAsyncLifetime
{
    private BackendServer? _server;

    /// <summary>The running server.</summary>
    public BackendServer Server => _server ?? throw new InvalidOperationException("the server did not start");

    /// <summary>Extra arguments after <c>-home -api-port -api-bind</c>.</summary>
    protected virtual IEnumerable<string> Arguments => [];

    /// <inheritdoc />
    public virtual async ValueTask InitializeAsync() => _server = await BackendServer.StartAsync(Arguments);

    /// <inheritdoc />
    public virtual async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Replaces the server (subclasses that restart it).</summary>
    protected void SetServer(BackendServer server) => _server = server;

    /// <summary>A client signing as <paramref name="account"/> (anonymous when null).</summary>
    public BackendClient Client(TestAccount? account = null, bool cookies = false) => Server.Client(account, cookies);

    /// <summary>Registers a new account through the open <c>/account/add</c> with a unique login.</summary>
    public Task<TestAccount> AddAccount(params (string Name, string Value)[] extra) => Accounts.Add(Server, null, extra);
}

/// <summary>A server with an admin account, made as an operator would: <c>bkcs add-user ... type admin</c> on the
/// home (and pool) before the server starts. Works on every database pool.</summary>
public class AdminServerFixture : ServerFixture
{
    private TestAccount? _admin;

    /// <summary>The admin account.</summary>
    public TestAccount Admin => _admin ?? throw new InvalidOperationException("no admin");

    /// <inheritdoc />
    public override async ValueTask InitializeAsync()
    {
        var home = BackendServer.CreateHome();
        try
        {
            _admin = await MakeAdmin(home);
            SetServer(await BackendServer.StartAsync(Arguments, home, ownsHome: true));
        }
        catch
        {
            BackendServer.DeleteHome(home);
            throw;
        }
    }

    /// <summary>Adds an admin account with <c>bkcs add-user</c> to the home's database.</summary>
    public static async Task<TestAccount> MakeAdmin(string home)
    {
        var login = Accounts.UniqueLogin("admin");
        var secret = Accounts.NewSecret();
        var (code, stdout, stderr) = await BackendServer.RunCommandAsync(
            ["add-user", "login", login, "secret", secret, "name", "Admin", "type", "admin", "-home", home, "-log", "warn", .. BackendServer.PoolArgs]);
        Assert.True(code == 0, $"bkcs add-user failed ({code}): {stderr}");
        var row = System.Text.Json.Nodes.JsonNode.Parse(stdout.Trim().Split('\n')[^1])!;
        Assert.Equal("admin", row["type"]!.GetValue<string>());
        return new TestAccount(login, secret, row["id"]!.GetValue<string>());
    }
}

/// <summary>Account helpers.</summary>
public static class Accounts
{
    /// <summary>A login nobody else uses.</summary>
    public static string UniqueLogin(string prefix = "user") => $"{prefix}-{Guid.NewGuid():N}@test.com";

    /// <summary>A random secret.</summary>
    public static string NewSecret() => "s-" + Guid.NewGuid().ToString("N");

    /// <summary>Registers an account with <c>/account/add</c> as <paramref name="caller"/> (anonymous when null);
    /// <paramref name="extra"/> may override login, secret and name.</summary>
    public static async Task<TestAccount> Add(BackendServer server, TestAccount? caller, params (string Name, string Value)[] extra)
    {
        ArgumentNullException.ThrowIfNull(server);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["login"] = UniqueLogin(),
            ["secret"] = NewSecret(),
            ["name"] = "User " + Guid.NewGuid().ToString("N")[..8],
        };
        foreach (var (k, v) in extra) fields[k] = v;
        using var client = server.Client(caller);
        var reply = await client.PostForm("/account/add", [.. fields.Select(kv => (kv.Key, kv.Value))]);
        ApiAssert.Ok(reply);
        var id = reply.Str("id");
        Assert.False(string.IsNullOrEmpty(id), $"no id in {reply}");
        return new TestAccount(fields["login"], fields["secret"], id) { Added = reply.Object };
    }

    /// <summary>The keys of a JSON object, sorted.</summary>
    public static string[] Keys(JsonNode? node) =>
        [.. Assert.IsType<JsonObject>(node).Select(p => p.Key).Order(StringComparer.Ordinal)];
}
