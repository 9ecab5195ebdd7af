using Backend.Configuration;
using Microsoft.Extensions.Configuration;

namespace Backend.Tests.Configuration;

public sealed class ConfigurationProviderTests : IDisposable
{
    private readonly TempHome _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public void Effective_values_are_exposed_under_the_parameter_names()
    {
        _home.WriteConfig("db-pool=filepool");
        var backend = _home.Load("-api-port", "9000", "-api-allow-path", "^/a,^/b", "-x-custom", "v");

        var config = new ConfigurationBuilder().AddBackendConfig(backend).Build();

        Assert.Equal("9000", config["api-port"]);
        Assert.Equal("127.0.0.1", config["api-bind"]);
        Assert.Equal("filepool", config["db-pool"]);
        Assert.Equal("false", config["debug"]);
        Assert.Equal("v", config["x-custom"]);
        Assert.Equal("^/a,^/b", config["api-allow-path"]);
        Assert.Equal(["^/a", "^/b"], config.GetSection("api-allow-path").GetChildren().Select(c => c.Value));
        Assert.Null(config["api-deny"]);
    }

    [Fact]
    public void Set_is_visible_through_IConfiguration()
    {
        var backend = _home.Load();
        var config = new ConfigurationBuilder().AddBackendConfig(backend).Build();
        var reloaded = false;
        config.GetReloadToken().RegisterChangeCallback(_ => reloaded = true, null);

        backend.Set("api-port", "9100");

        Assert.Equal("9100", config["api-port"]);
        Assert.True(reloaded);
    }
}
