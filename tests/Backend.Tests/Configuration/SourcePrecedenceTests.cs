using Backend.Configuration;

namespace Backend.Tests.Configuration;

public sealed class SourcePrecedenceTests : IDisposable
{
    private readonly TempHome _home = new();

    public void Dispose() => _home.Dispose();

    [Theory]
    [InlineData(0, 8000)]
    [InlineData(1, 8001)]
    [InlineData(2, 8002)]
    [InlineData(3, 8003)]
    [InlineData(4, 8004)]
    public void The_highest_source_that_gives_a_value_wins(int levels, int expected)
    {
        // Level 1 is etc/config, 2 etc/config.local, 3 the environment, 4 the command line; 0 leaves the default.
        if (levels >= 1)
        {
            _home.WriteConfig("api-port=8001");
        }

        if (levels >= 2)
        {
            _home.WriteLocal("api-port=8002");
        }

        var environment = levels >= 3 ? new Dictionary<string, string> { ["BKCS_API_PORT"] = "8003" } : [];
        string[] args = levels >= 4 ? ["-api-port", "8004"] : [];

        var config = _home.Load(args, environment);

        Assert.Equal(expected, config.GetInt("api-port"));
        Assert.Equal(levels > 0, config.IsSet("api-port"));
    }

    [Fact]
    public void Each_source_contributes_the_parameters_it_gives()
    {
        _home.WriteConfig("api-port=8001", "db-pool=config", "api-bind=10.0.0.1", "db-busy-timeout=1");
        _home.WriteLocal("db-pool=local", "api-bind=10.0.0.2");
        var config = _home.Load(["-api-bind", "10.0.0.4"], new() { ["BKCS_API_BIND"] = "10.0.0.3", ["BKCS_DB_BUSY_TIMEOUT"] = "3" });

        Assert.Equal(8001, config.GetInt("api-port"));
        Assert.Equal("local", config.Get("db-pool"));
        Assert.Equal("10.0.0.4", config.Get("api-bind"));
        Assert.Equal(3, config.GetInt("db-busy-timeout"));
        Assert.Equal("backend", config.Get("db-sqlite-pool"));
        Assert.False(config.IsSet("db-sqlite-pool"));
    }

    [Fact]
    public void Set_wins_over_the_command_line()
    {
        var config = _home.Load("-db-pool", "cmd");

        config.Set("db-pool", "app");

        Assert.Equal("app", config.Get("db-pool"));
    }

    [Fact]
    public void The_environment_uses_BKCS_and_the_upper_case_name()
    {
        var config = _home.Load([], new() { ["BKCS_API_PORT"] = "9000", ["bkcs_web"] = "1", ["PATH"] = "/bin", ["BKCS_MY_THING"] = "x" });

        Assert.Equal(9000, config.GetInt("api-port"));
        Assert.True(config.GetBool("web"));
        Assert.Equal("x", config.Get("my-thing"));
        Assert.Equal(["unknown parameter -my-thing (environment variable BKCS_MY_THING)"], config.Warnings);
    }

    [Fact]
    public void Home_comes_from_the_command_line_before_the_environment()
    {
        using var other = new TempHome();
        other.WriteConfig("db-pool=other");

        var config = _home.Load("-home", other.Root);

        Assert.Equal(other.Root, config.Home);
        Assert.Equal("other", config.Get("db-pool"));
        Assert.Equal(Path.Combine(other.Root, "var", "x.db"), config.HomePath("var", "x.db"));
    }

    [Fact]
    public void Home_defaults_to_dot_backend_in_the_user_home()
    {
        var user = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

        Assert.Equal(Path.GetFullPath(Path.Combine(user, ".backend")), ConfigPaths.ResolveHome(null));
    }
}
