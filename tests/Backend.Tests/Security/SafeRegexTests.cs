using System.Text.RegularExpressions;
using Backend.Auth;
using Backend.Security;

namespace Backend.Tests.Security;

/// <summary>Regexes on request input never fail because the machine is busy: plain patterns run without backtracking
/// (no time limit to hit), the rest keep a limit whose expiry each caller answers safely.</summary>
public sealed class SafeRegexTests
{
    [Fact]
    public void A_plain_pattern_runs_without_backtracking_and_a_lookaround_keeps_the_backtracking_engine()
    {
        var plain = SafeRegex.Create(@"^/account/(get|del)$", RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1));
        Assert.True(plain.Options.HasFlag(RegexOptions.NonBacktracking));
        Assert.Equal(Regex.InfiniteMatchTimeout, plain.MatchTimeout);
        Assert.Matches(plain, "/Account/GET");

        var lookahead = SafeRegex.Create(@"^/(?!public)\w+", RegexOptions.None, TimeSpan.FromMilliseconds(250));
        Assert.False(lookahead.Options.HasFlag(RegexOptions.NonBacktracking));
        Assert.Equal(TimeSpan.FromMilliseconds(250), lookahead.MatchTimeout);
        Assert.Matches(lookahead, "/account");
        Assert.DoesNotMatch(lookahead, "/public");
    }

    [Fact]
    public void A_pattern_that_does_not_compile_is_an_argument_error() =>
        Assert.ThrowsAny<ArgumentException>(() => SafeRegex.Create("(", RegexOptions.None, TimeSpan.FromSeconds(1)));

    [Fact]
    public void A_catastrophic_pattern_without_backreferences_is_linear()
    {
        // (a+)+$ backtracks exponentially on "aaaa...!"; without backtracking it answers at once.
        var regex = SafeRegex.Create("^(a+)+$", RegexOptions.None, TimeSpan.FromMilliseconds(1));
        Assert.DoesNotMatch(regex, new string('a', 10_000) + "!");
    }

    [Fact]
    public void An_access_rule_that_cannot_be_decided_in_time_denies_and_does_not_allow()
    {
        // A backreference keeps the backtracking engine; this one runs past the 1 s limit on the input below.
        const string Slow = @"^/(a+)+\1!$";
        var path = "/" + new string('a', 40);
        var rules = new AccessRules(deny: [Slow], allow: [Slow], admin: [Slow]);
        Assert.True(rules.IsDenied(path));
        Assert.False(rules.IsAllowed(path));
        Assert.True(rules.IsAdminOnly(path));
    }
}
