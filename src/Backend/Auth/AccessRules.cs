using System.Text.RegularExpressions;
using Backend.Security;

namespace Backend.Auth;

/// <summary>Path rules from configuration: deny (<c>-api-deny</c>, <c>-api-deny-path</c>), the allow list that needs no
/// signature (defaults, replaced by <c>-api-allow</c>, extended by <c>-api-allow-path</c>, reduced by
/// <c>-api-disallow-path</c>) and admin-only paths (<c>-api-allow-admin</c>). Each list is one compiled regex.</summary>
internal sealed class AccessRules
{
    /// <summary>Paths that need no signature by default.</summary>
    public static IReadOnlyList<string> DefaultAllow { get; } =
    [
        "^/$", @"\.html$", @"\.ico$", @"\.gif$", @"\.png$", @"\.jpg$", @"\.svg$", @"\.ttf$", @"\.eof$", @"\.woff$",
        @"\.js$", @"\.css$", "^/public", "^/account/add$",
    ];

    private readonly Regex? _deny;
    private readonly Regex? _allow;
    private readonly Regex? _admin;

    /// <summary>Builds the rules from pattern lists.</summary>
    public AccessRules(IEnumerable<string> deny, IEnumerable<string> allow, IEnumerable<string> admin)
    {
        _deny = Combine(deny);
        _allow = Combine(allow);
        _admin = Combine(admin);
    }

    /// <summary>Builds the rules from the options (<c>-api-allow</c> replaces the built-in public paths when set).</summary>
    public static AccessRules FromOptions(AccessOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var allow = options.Allow is { } replaced ? replaced.ToList() : DefaultAllow.ToList();
        allow.AddRange(options.AllowPath);
        var disallow = options.DisallowPath.ToHashSet(StringComparer.Ordinal);
        allow.RemoveAll(disallow.Contains);
        return new AccessRules(options.Deny.Concat(options.DenyPath), allow, options.AllowAdmin);
    }

    /// <summary>The form of a path that rules are matched against: repeated slashes collapsed and a trailing slash
    /// dropped, because routing treats <c>/account/del/</c> as <c>/account/del</c>. Rules also ignore case, as
    /// routing does; otherwise <c>/Account/Del</c> would slip past a deny rule and still reach the endpoint.</summary>
    public static string Normalize(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Contains("//", StringComparison.Ordinal))
        {
            var sb = new System.Text.StringBuilder(path.Length);
            foreach (var ch in path)
                if (ch != '/' || sb.Length == 0 || sb[^1] != '/') sb.Append(ch);
            path = sb.ToString();
        }
        return path.Length > 1 && path.EndsWith('/') ? path.TrimEnd('/') is { Length: > 0 } t ? t : "/" : path.Length == 0 ? "/" : path;
    }

    /// <summary>The path is denied to everybody (also when the match could not be decided in time).</summary>
    public bool IsDenied(string path) => Match(_deny, path, whenUndecided: true);

    /// <summary>The path needs no signature (not when the match could not be decided in time).</summary>
    public bool IsAllowed(string path) => Match(_allow, path, whenUndecided: false);

    /// <summary>Only admins may call the path (also when the match could not be decided in time).</summary>
    public bool IsAdminOnly(string path) => Match(_admin, path, whenUndecided: true);

    // Undecided only for a pattern the non-backtracking engine cannot run (see SafeRegex), and then the safe answer.
    private static bool Match(Regex? regex, string path, bool whenUndecided)
    {
        if (regex is null) return false;
        try
        {
            return regex.IsMatch(path);
        }
        catch (RegexMatchTimeoutException)
        {
            return whenUndecided;
        }
    }

    private static Regex? Combine(IEnumerable<string> patterns)
    {
        var list = patterns.Where(p => p.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        return list.Count == 0 ? null : SafeRegex.Create(string.Join("|", list.Select(p => "(?:" + p + ")")), RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1));
    }
}
