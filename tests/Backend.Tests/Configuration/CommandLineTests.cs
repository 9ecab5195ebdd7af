using Backend.Configuration;

namespace Backend.Tests.Configuration;

public sealed class CommandLineTests : IDisposable
{
    private readonly TempHome _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public void Parses_name_value_pairs_and_the_command()
    {
        var config = _home.Load("run-backend", "-api-port", "9000", "-api-bind", "0.0.0.0");

        Assert.Equal("run-backend", config.Command);
        Assert.Empty(config.Arguments);
        Assert.Equal(9000, config.GetInt("api-port"));
        Assert.Equal("0.0.0.0", config.GetString("api-bind"));
        Assert.Empty(config.Warnings);
    }

    [Fact]
    public void Tokens_before_the_first_parameter_are_the_command_and_its_arguments()
    {
        var config = _home.Load("help", "config", "extra", "-debug");

        Assert.Equal("help", config.Command);
        Assert.Equal(["config", "extra"], config.Arguments);
    }

    [Fact]
    public void Without_a_command_the_command_is_null()
    {
        var config = _home.Load("-debug");

        Assert.Null(config.Command);
        Assert.Empty(config.Arguments);
    }

    [Fact]
    public void A_bare_bool_flag_is_true()
    {
        var config = _home.Load("-debug", "-web");

        Assert.True(config.GetBool("debug"));
        Assert.True(config.GetBool("web"));
        Assert.False(config.GetBool("master"));
    }

    [Theory]
    [InlineData("false", false)]
    [InlineData("0", false)]
    [InlineData("no", false)]
    [InlineData("off", false)]
    [InlineData("true", true)]
    [InlineData("1", true)]
    [InlineData("yes", true)]
    [InlineData("ON", true)]
    public void A_bool_takes_an_explicit_boolean_word(string word, bool expected)
    {
        var config = _home.Load("-debug", word, "-web");

        Assert.Equal(expected, config.GetBool("debug"));
        Assert.True(config.GetBool("web"));
    }

    [Fact]
    public void A_missing_value_at_the_end_is_an_error()
    {
        var error = Assert.Throws<ConfigException>(() => _home.Load("run", "-api-port"));

        Assert.Equal("missing value for -api-port", error.Message);
    }

    [Fact]
    public void A_parameter_where_a_value_should_be_is_a_missing_value_with_a_hint()
    {
        var error = Assert.Throws<ConfigException>(() => _home.Load("-api-bind", "-debug"));

        Assert.StartsWith("missing value for -api-bind", error.Message);
        Assert.Contains("-api-bind=VALUE", error.Message);
    }

    [Fact]
    public void A_negative_number_is_a_value()
    {
        var error = Assert.Throws<ConfigException>(() => _home.Load("-api-port", "-1"));

        Assert.Equal("invalid value for -api-port: -1 is out of range 1..65535", error.Message);
    }

    [Fact]
    public void Name_equals_value_allows_text_starting_with_a_dash()
    {
        var config = _home.Load("-db-pool=-odd", "-api-port=9001");

        Assert.Equal("-odd", config.Get("db-pool"));
        Assert.Equal(9001, config.GetInt("api-port"));
    }

    [Fact]
    public void A_positional_token_after_the_parameters_is_an_error()
    {
        var error = Assert.Throws<ConfigException>(() => _home.Load("run", "-api-port", "8000", "9000"));

        Assert.StartsWith("unexpected argument \"9000\"", error.Message);
    }

    [Fact]
    public void Double_dash_ends_the_parameters()
    {
        var config = _home.Load("run", "-debug", "--", "-file", "x");

        Assert.True(config.GetBool("debug"));
        Assert.Equal(["-file", "x"], config.Arguments);
    }

    [Fact]
    public void Double_dash_names_are_accepted()
    {
        var config = _home.Load("--api-port", "9002", "--web");

        Assert.Equal(9002, config.GetInt("api-port"));
        Assert.True(config.GetBool("web"));
    }

    [Fact]
    public void Names_are_matched_ignoring_case()
    {
        var config = _home.Load("-API-PORT", "9003");

        Assert.Equal(9003, config.GetInt("api-port"));
        Assert.Empty(config.Warnings);
    }

    [Fact]
    public void An_unknown_parameter_is_a_warning_and_keeps_its_value()
    {
        var config = _home.Load("-my-thing", "value", "-my-flag");

        Assert.Contains("unknown parameter -my-thing", config.Warnings);
        Assert.Contains("unknown parameter -my-flag", config.Warnings);
        Assert.Equal("value", config.Get("my-thing"));
        Assert.True(config.GetBool("my-flag"));
        Assert.True(config.IsSet("my-thing"));
    }
}
