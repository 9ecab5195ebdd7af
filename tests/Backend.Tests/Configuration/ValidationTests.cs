using Backend.Configuration;

namespace Backend.Tests.Configuration;

public sealed class ValidationTests : IDisposable
{
    private readonly TempHome _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public void A_malformed_int_is_one_clear_line()
    {
        var error = Assert.Throws<ConfigException>(() => _home.Load("run-backend", "-api-port", "abc"));

        Assert.Equal("invalid value for -api-port: \"abc\" is not an integer", error.Message);
    }

    [Fact]
    public void An_int_out_of_range_is_an_error()
    {
        var error = Assert.Throws<ConfigException>(() => _home.Load("-api-port", "70000"));

        Assert.Equal("invalid value for -api-port: 70000 is out of range 1..65535", error.Message);
    }

    [Fact]
    public void An_int_below_the_minimum_is_an_error()
    {
        var error = Assert.Throws<ConfigException>(() => _home.Load("-api-max-request-size", "10"));

        Assert.Equal("invalid value for -api-max-request-size: 10 is less than the minimum 1024", error.Message);
    }

    [Fact]
    public void A_bad_bool_from_the_environment_names_the_variable()
    {
        var error = Assert.Throws<ConfigException>(() => _home.Load([], new() { ["BKCS_DEBUG"] = "maybe" }));

        Assert.StartsWith("invalid value for -debug: \"maybe\" is not a boolean", error.Message);
        Assert.EndsWith("(environment variable BKCS_DEBUG)", error.Message);
    }

    [Fact]
    public void A_regex_that_does_not_compile_is_an_error()
    {
        var registry = ConfigRegistry.CreateDefault();
        registry.Add(new ConfigParameter("x-pattern", ConfigType.Regex, null, "test"));

        var error = Assert.Throws<ConfigException>(() => _home.Load(["-x-pattern", "(ab"], registry: registry));

        Assert.StartsWith("invalid value for -x-pattern: \"(ab\" is not a valid regular expression", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Every_item_of_a_regex_list_must_compile()
    {
        var error = Assert.Throws<ConfigException>(() => _home.Load("-api-allow-path", "^/ok,[bad"));

        Assert.StartsWith("invalid value for -api-allow-path: \"[bad\" is not a valid regular expression", error.Message);
    }

    [Fact]
    public void Choices_are_checked_ignoring_case()
    {
        Assert.Equal("DEBUG", _home.Load("-log", "DEBUG").Get("log"));

        var error = Assert.Throws<ConfigException>(() => _home.Load("-log", "verbose"));
        Assert.Equal("invalid value for -log: \"verbose\" is not one of none|error|warn|info|debug|trace", error.Message);
    }

    [Theory]
    [InlineData(ConfigType.Number, "1.5", null)]
    [InlineData(ConfigType.Number, "-2e3", null)]
    [InlineData(ConfigType.Number, "abc", "\"abc\" is not a number")]
    [InlineData(ConfigType.Number, "NaN", "\"NaN\" is not a number")]
    [InlineData(ConfigType.Url, "https://example.com/x", null)]
    [InlineData(ConfigType.Url, "example", "\"example\" is not an absolute URL")]
    [InlineData(ConfigType.Bool, "yes", null)]
    [InlineData(ConfigType.Int, "12x", "\"12x\" is not an integer")]
    public void Values_are_checked_by_type(ConfigType type, string value, string? problem)
    {
        var registry = ConfigRegistry.CreateDefault();
        registry.Add(new ConfigParameter("x-value", type, null, "test"));

        if (problem is null)
        {
            Assert.Equal(value, _home.Load(["-x-value=" + value], registry: registry).Get("x-value"));
        }
        else
        {
            var error = Assert.Throws<ConfigException>(() => _home.Load(["-x-value=" + value], registry: registry));
            Assert.Equal($"invalid value for -x-value: {problem}", error.Message);
        }
    }

    [Fact]
    public void A_number_range_is_checked()
    {
        var registry = ConfigRegistry.CreateDefault();
        registry.Add(new ConfigParameter("x-ratio", ConfigType.Number, "0.5", "test") { Min = 0, Max = 1 });

        Assert.Equal(0.25, _home.Load(["-x-ratio", "0.25"], registry: registry).GetNumber("x-ratio"));
        var error = Assert.Throws<ConfigException>(() => _home.Load(["-x-ratio", "1.5"], registry: registry));
        Assert.Equal("invalid value for -x-ratio: 1.5 is out of range 0..1", error.Message);
    }

    [Fact]
    public void Validate_checks_parameters_registered_after_loading()
    {
        var registry = ConfigRegistry.CreateDefault();
        var config = _home.Load(["-x-size", "abc", "-x-name", "n"], registry: registry);
        Assert.Contains("unknown parameter -x-size", config.Warnings);

        registry.Add(new ConfigParameter("x-name", ConfigType.String, null, "test"));
        config.Validate();
        Assert.DoesNotContain("unknown parameter -x-name", config.Warnings);

        registry.Add(new ConfigParameter("x-size", ConfigType.Int, null, "test"));
        var error = Assert.Throws<ConfigException>(config.Validate);
        Assert.Equal("invalid value for -x-size: \"abc\" is not an integer", error.Message);
    }

    [Fact]
    public void Set_overrides_everything_and_is_validated()
    {
        var config = _home.Load("-api-port", "9000");

        config.Set("api-port", "9100");
        Assert.Equal(9100, config.GetInt("api-port"));

        var error = Assert.Throws<ConfigException>(() => config.Set("api-port", "0"));
        Assert.Equal("invalid value for -api-port: 0 is out of range 1..65535 (set by the application)", error.Message);
        Assert.Equal(9100, config.GetInt("api-port"));
    }

    [Fact]
    public void GetInt_refuses_a_value_beyond_32_bits_and_GetLong_reads_it()
    {
        var config = _home.Load();

        Assert.Equal(30L * 24 * 3600 * 1000, config.GetLong("api-session-age"));
        var error = Assert.Throws<ConfigException>(() => config.GetInt("api-session-age"));
        Assert.StartsWith("invalid value for -api-session-age:", error.Message);
    }

    [Fact]
    public void Typed_reads_of_an_unknown_parameter_report_bad_values()
    {
        var config = _home.Load("-x-count", "many");

        var error = Assert.Throws<ConfigException>(() => config.GetInt("x-count"));
        Assert.Equal("invalid value for -x-count: \"many\" is not an integer", error.Message);
        Assert.Equal(0, config.GetInt("x-missing"));
        Assert.False(config.GetBool("x-missing"));
        Assert.Equal("fallback", config.GetString("x-missing", "fallback"));
        Assert.Null(config.Get("x-missing"));
    }

    [Fact]
    public void A_bad_default_is_reported()
    {
        var registry = ConfigRegistry.CreateDefault();
        registry.Add(new ConfigParameter("x-port", ConfigType.Int, "eighty", "test"));

        var error = Assert.Throws<ConfigException>(() => _home.Load([], registry: registry));
        Assert.Equal("invalid default for -x-port: \"eighty\" is not an integer", error.Message);
    }
}
