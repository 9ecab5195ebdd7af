using Backend.Configuration;

namespace Backend.Tests.Configuration;

public sealed class ListTests : IDisposable
{
    private readonly TempHome _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public void List_values_accumulate_from_config_to_command_line()
    {
        _home.WriteConfig("api-allow-path=^/a, ^/b", "api-allow-path=^/c");
        _home.WriteLocal("api-allow-path=^/d");

        var config = _home.Load(
            ["-api-allow-path", "^/f", "-api-allow-path", "^/g,^/h"],
            new() { ["BKCS_API_ALLOW_PATH"] = "^/e" });

        Assert.Equal(["^/a", "^/b", "^/c", "^/d", "^/e", "^/f", "^/g", "^/h"], config.GetList("api-allow-path"));
        Assert.Equal("^/a,^/b,^/c,^/d,^/e,^/f,^/g,^/h", config.Get("api-allow-path"));
    }

    [Fact]
    public void An_empty_value_clears_what_came_before()
    {
        _home.WriteConfig("api-allow-path=^/a");
        _home.WriteLocal("api-allow-path=", "api-allow-path=^/b");

        var config = _home.Load("-api-allow-path", "^/c");

        Assert.Equal(["^/b", "^/c"], config.GetList("api-allow-path"));
    }

    [Fact]
    public void Double_quotes_protect_commas_inside_an_item()
    {
        var config = _home.Load("-api-allow-path", "\"^/x{1,3}$\",^/y");

        Assert.Equal(["^/x{1,3}$", "^/y"], config.GetList("api-allow-path"));
        Assert.Equal("\"^/x{1,3}$\",^/y", config.Get("api-allow-path"));
    }

    [Fact]
    public void Set_replaces_the_accumulated_items()
    {
        var config = _home.Load("-api-unsecure", "data");

        config.Set("api-unsecure", "a,b");

        Assert.Equal(["a", "b"], config.GetList("api-unsecure"));
    }

    [Fact]
    public void The_default_applies_only_when_no_source_gives_items()
    {
        var registry = ConfigRegistry.CreateDefault();
        registry.Add(new ConfigParameter("x-hosts", ConfigType.List, "a,b", "test"));

        Assert.Equal(["a", "b"], _home.Load([], registry: registry).GetList("x-hosts"));
        Assert.Equal(["c"], _home.Load(["-x-hosts", "c"], registry: registry).GetList("x-hosts"));
        Assert.Empty(_home.Load().GetList("api-deny"));
    }

    [Fact]
    public void Unknown_parameters_given_several_times_accumulate_too()
    {
        var config = _home.Load("-x-tag", "a", "-x-tag", "b");

        Assert.Equal(["a", "b"], config.GetList("x-tag"));
        Assert.Equal("b", config.Get("x-tag"));
    }
}
