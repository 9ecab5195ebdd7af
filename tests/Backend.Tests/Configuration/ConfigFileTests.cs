using Backend.Configuration;

namespace Backend.Tests.Configuration;

public sealed class ConfigFileTests : IDisposable
{
    private readonly TempHome _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public void Comments_blank_lines_leading_dashes_and_whitespace_are_handled()
    {
        _home.WriteConfig(
            "# backend config",
            "",
            "   -api-port = 9001  ",
            "api-bind=0.0.0.0",
            "    # an indented comment",
            "\t",
            "--db-pool=pool",
            "api-allow-path=^/a#b$",
            "db-sqlite-pool = a=b");

        var config = _home.Load();

        Assert.Equal(9001, config.GetInt("api-port"));
        Assert.Equal("0.0.0.0", config.Get("api-bind"));
        Assert.Equal("pool", config.Get("db-pool"));
        Assert.Equal(["^/a#b$"], config.GetList("api-allow-path"));
        Assert.Equal("a=b", config.Get("db-sqlite-pool"));
        Assert.Empty(config.Warnings);
    }

    [Fact]
    public void A_line_without_equals_names_the_file_and_line()
    {
        _home.WriteConfig("# ok", "api-port=9001", "debug");

        var error = Assert.Throws<ConfigException>(() => _home.Load());

        Assert.Equal($"{_home.ConfigPath} line 3: expected name=value, got \"debug\"", error.Message);
    }

    [Fact]
    public void A_line_without_a_name_is_an_error()
    {
        _home.WriteLocal("=5");

        var error = Assert.Throws<ConfigException>(() => _home.Load());

        Assert.StartsWith($"{_home.LocalPath} line 1:", error.Message);
    }

    [Fact]
    public void A_bad_value_in_a_file_names_the_file_and_line()
    {
        _home.WriteConfig("", "api-port=abc");

        var error = Assert.Throws<ConfigException>(() => _home.Load());

        Assert.Equal($"invalid value for -api-port: \"abc\" is not an integer ({_home.ConfigPath} line 2)", error.Message);
    }

    [Fact]
    public void Config_file_replaces_etc_config_and_brings_its_own_local_file()
    {
        _home.WriteConfig("api-port=8001", "db-pool=from-etc");
        _home.WriteLocal("api-bind=10.0.0.1");
        var other = _home.WriteFile("conf/other.conf", "api-port=8002");
        _home.WriteFile("conf/other.conf.local", "db-busy-timeout=5");

        var config = _home.Load("-config-file", other);

        Assert.Equal(other, config.ConfigFile);
        Assert.Equal(8002, config.GetInt("api-port"));
        Assert.Equal(5, config.GetInt("db-busy-timeout"));
        Assert.Equal("sqlite", config.Get("db-pool"));
        Assert.Equal("127.0.0.1", config.Get("api-bind"));
    }

    [Fact]
    public void A_bare_config_file_name_is_looked_up_in_etc()
    {
        _home.WriteFile("etc/test.conf", "db-pool=test");

        var config = _home.Load([], new() { ["BKCS_CONFIG_FILE"] = "test.conf" });

        Assert.Equal(Path.Combine(_home.Root, "etc", "test.conf"), config.ConfigFile);
        Assert.Equal("test", config.Get("db-pool"));
    }

    [Fact]
    public void A_missing_explicit_config_file_is_an_error_but_a_missing_etc_config_is_not()
    {
        Assert.Equal(_home.ConfigPath, _home.Load().ConfigFile);

        var error = Assert.Throws<ConfigException>(() => _home.Load("-config-file", "nope.conf"));
        Assert.Equal($"config file not found: {Path.Combine(_home.Root, "etc", "nope.conf")}", error.Message);
    }

    [Fact]
    public void Home_and_config_file_in_a_file_are_ignored_with_a_warning()
    {
        _home.WriteConfig("home=/elsewhere");

        var config = _home.Load();

        Assert.Equal(_home.Root, config.Home);
        Assert.Single(config.Warnings, w => w.StartsWith("-home is ignored in config files", StringComparison.Ordinal));
    }

    [Fact]
    public void Path_values_expand_tilde_and_resolve_against_the_home()
    {
        _home.WriteConfig("api-web=~/static");
        var user = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

        var config = _home.Load();

        Assert.Equal(Path.Join(user, "static"), config.Get("api-web"));
        Assert.Equal(Path.Join(user, "static"), config.GetPath("api-web"));
    }

    [Fact]
    public void A_relative_path_value_is_relative_to_the_home()
    {
        var config = _home.Load();

        Assert.Equal("web", config.Get("api-web"));
        Assert.Equal(Path.Combine(_home.Root, "web"), config.GetPath("api-web"));
        Assert.Equal(_home.Root, config.GetPath("home"));
    }
}
