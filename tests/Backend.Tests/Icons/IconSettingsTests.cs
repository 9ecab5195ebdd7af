using Backend.Api.Icons;
using Backend.Configuration;

namespace Backend.Tests.Icons;

/// <summary>What <c>-api-icon-limit</c> and <c>-api-icon-sizes</c> mean, and the start-up errors for items that mean
/// nothing.</summary>
public sealed class IconSettingsTests
{
    private static IconSettings Of(string[]? limits = null, string[]? sizes = null, string? url = null) =>
        new(new IconsOptions { Limits = limits ?? [], Sizes = sizes ?? [], ImagesUrl = url });

    [Fact]
    public void Limits_are_per_prefix_with_a_default_that_star_changes()
    {
        var none = Of();
        Assert.Equal(1024 * 1024, none.LimitOf("account"));
        var some = Of(["account:4096", " album : 2097152 "]);
        Assert.Equal(4096, some.LimitOf("account"));
        Assert.Equal(2097152, some.LimitOf("album"));
        Assert.Equal(1024 * 1024, some.LimitOf("other"));
        Assert.Equal(8192, Of(["*:8192", "account:4096"]).LimitOf("other"));
    }

    [Theory]
    [InlineData("account")]
    [InlineData("account:")]
    [InlineData(":4096")]
    [InlineData("account:12")]
    [InlineData("account:-4096")]
    [InlineData("account:4k")]
    [InlineData("Account:4096")]
    [InlineData("../x:4096")]
    [InlineData("account:999999999999")]
    public void A_limit_that_is_not_prefix_and_bytes_stops_the_start(string item)
    {
        var ex = Assert.Throws<ConfigException>(() => Of([item]));
        Assert.Contains("-api-icon-limit", ex.Message, StringComparison.Ordinal);
        Assert.Contains(item, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sizes_are_per_prefix_in_the_given_order_and_looked_up_by_name()
    {
        var s = Of(sizes: ["account:thumb=-128", "account:full=1024x768", "album:s=0x-64"]);
        Assert.Equal([new IconSize("thumb", -128, 0), new IconSize("full", 1024, 768)], s.SizesOf("account"));
        Assert.Equal(new IconSize("s", 0, -64), s.SizeOf("album", "s"));
        Assert.Empty(s.SizesOf("other"));
        Assert.Equal(400, Assert.Throws<Backend.Http.ApiException>(() => s.SizeOf("account", "huge")).Status);
        Assert.Contains("thumb, full", Assert.Throws<Backend.Http.ApiException>(() => s.SizeOf("account", "huge")).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("account:thumb")]
    [InlineData("account=128")]
    [InlineData("account:Thumb=128")]
    [InlineData("account:th/umb=128")]
    [InlineData("account:thumb=0")]
    [InlineData("account:thumb=0x0")]
    [InlineData("account:thumb=128x")]
    [InlineData("account:thumb=axb")]
    [InlineData("account:thumb=1x2x3")]
    [InlineData("account:thumb=200000")]
    [InlineData("account:averyveryverylongname=12")]
    public void A_size_that_is_not_prefix_name_and_dimensions_stops_the_start(string item)
    {
        var ex = Assert.Throws<ConfigException>(() => Of(sizes: [item]));
        Assert.Contains("-api-icon-sizes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_size_given_twice_or_too_many_sizes_stop_the_start()
    {
        Assert.Contains("twice", Assert.Throws<ConfigException>(() => Of(sizes: ["a:s=1", "a:s=2"])).Message, StringComparison.Ordinal);
        Assert.Throws<ConfigException>(() => Of(sizes: [.. Enumerable.Range(0, IconSettings.MaxSizesPerPrefix + 1).Select(i => $"a:s{i}=10")]));
    }

    [Fact]
    public void The_images_url_loses_its_trailing_slash_and_empty_is_none()
    {
        Assert.Equal("https://cdn.example.com/x", Of(url: "https://cdn.example.com/x/").ImagesUrl);
        Assert.Null(Of(url: "").ImagesUrl);
        Assert.Null(Of().ImagesUrl);
    }

    [Fact]
    public async Task A_bad_item_stops_the_server_with_its_name()
    {
        using var home = new Data.TempDirectory();
        var (code, _, stderr) = await Server.BackendServer.RunCommandAsync(["run", "-home", home.Root, "-port", "1", "-api-icon-sizes", "account:thumb=big"]);
        Assert.NotEqual(0, code);
        Assert.Contains("-api-icon-sizes", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }
}
