using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Xunit;

namespace BackendCsApp1.Tests;

/// <summary>Starts the app in memory (WebApplicationFactory runs Program.cs with a test server instead of a port) on
/// a fresh home holding the app's etc/config, and calls its endpoints as a client would.</summary>
public sealed class AppTests : IAsyncLifetime
{
    private readonly string _home = Directory.CreateTempSubdirectory("backendapp-test-").FullName;
    private WebApplicationFactory<Program>? _factory;
    private HttpClient? _client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        // The same config as `dotnet run -- -home .`; the database goes to this test's own home.
        Directory.CreateDirectory(Path.Combine(_home, "etc"));
        File.Copy(Path.Combine(AppContext.BaseDirectory, "etc", "config"), Path.Combine(_home, "etc", "config"));
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b => b.UseSetting("home", _home));
        _client = _factory.CreateClient();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _client?.Dispose();
        if (_factory is not null) await _factory.DisposeAsync();
        Directory.Delete(_home, recursive: true);
    }

    [Fact]
    public async Task Add_stores_a_row_that_get_returns()
    {
        using var added = await _client!.GetAsync(new Uri("/test/add?id=1&name=first", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);

        using var got = await _client.GetAsync(new Uri("/test/1", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        using var row = JsonDocument.Parse(await got.Content.ReadAsStringAsync(Ct));
        Assert.Equal(1, row.RootElement.GetProperty("id").GetInt32());
        Assert.Equal("first", row.RootElement.GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_missing_row_is_404_and_a_bad_id_is_400()
    {
        using var missing = await _client!.GetAsync(new Uri("/test/404", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        using var bad = await _client.GetAsync(new Uri("/test/add?id=x&name=first", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Other_endpoints_still_need_a_signature()
    {
        // etc/config opens /test/ only (api-allow-path): the built-in account API still refuses an unsigned request.
        using var account = await _client!.GetAsync(new Uri("/account/get", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, account.StatusCode);
    }
}
