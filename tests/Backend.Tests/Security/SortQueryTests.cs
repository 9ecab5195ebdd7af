using Backend.Security;

namespace Backend.Tests.Security;

public sealed class SortQueryTests
{
    [Theory]
    [InlineData("", "")]
    [InlineData("&&", "")]
    [InlineData("b=1&a=2", "a=2&b=1")]
    [InlineData("b=1&bk-signature=1%7C%7Cx&a=2", "a=2&b=1")]
    [InlineData("bk-signature=abc", "")]
    [InlineData("id=1&id=", "id=&id=1")]
    [InlineData("%C3%BC=1&z=2&Z=3", "%C3%BC=1&Z=3&z=2")]
    [InlineData("\u00fc=1&z=2", "z=2&\u00fc=1")]
    public void Sorts_by_code_unit_and_drops_empty_and_signature_items(string raw, string sorted)
    {
        Assert.Equal(sorted, RequestSignature.SortQuery(raw));
    }

    [Fact]
    public void Returns_the_same_instance_when_already_canonical()
    {
        var raw = "a=1&b=2";
        Assert.Same(raw, RequestSignature.SortQuery(raw));
    }

    [Theory]
    [InlineData(32)]
    [InlineData(40)]
    [InlineData(500)]
    public void Sorts_long_queries_beyond_the_small_query_paths(int count)
    {
        var items = Enumerable.Range(0, count).Select(i => "k" + i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture) + "=v").ToArray();
        var shuffled = items.Reverse().ToArray();
        Assert.Equal(string.Join('&', items), RequestSignature.SortQuery(string.Join('&', shuffled)));
    }
}
