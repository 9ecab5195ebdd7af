using System.Text.RegularExpressions;

namespace Backend.Security;

/// <summary>Regexes matched against request input (paths, event text). Non-backtracking where the pattern allows it:
/// matching is then linear in the input, needs no time limit, and so never fails because the machine is busy (a match
/// timeout measures wall-clock time: on a loaded two-core machine a 100 ms limit on a path match was seen to expire and
/// turn a request into a 500). A pattern with constructs only the backtracking engine has (backreferences,
/// lookarounds, atomic groups) keeps that engine with a match timeout, and every caller decides what a
/// timeout means for it.</summary>
internal static class SafeRegex
{
    /// <summary>The regex for <paramref name="pattern"/>; an <see cref="ArgumentException"/> when it does not compile.</summary>
    public static Regex Create(string pattern, RegexOptions options, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        try
        {
            return new Regex(pattern, options | RegexOptions.NonBacktracking);
        }
        catch (NotSupportedException)
        {
            return new Regex(pattern, options, timeout);
        }
    }
}
