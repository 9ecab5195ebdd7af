using Backend.Http;

namespace Backend.Api.Icons;

/// <summary>Who may see an icon, by its <c>acl_allow</c> (the reference's values): "" only its owner, <c>all</c>
/// everybody (also without a signature, where <c>-api-allow-path</c> opens the path), <c>auth</c> every signed-in
/// account, or a comma-separated list of account ids. Anyone not allowed gets 404, as if there were no icon, so a
/// private icon's existence does not leak.</summary>
internal static class IconAccess
{
    public const int MaxAclLength = 4096;
    public const int MaxIds = 100;

    /// <summary>Checks and normalises an <c>acl_allow</c> parameter (null: not given).</summary>
    public static string? Parse(string? acl)
    {
        if (acl is null) return null;
        acl = acl.Trim();
        if (acl is "" or "all" or "auth") return acl;
        if (acl.Length > MaxAclLength) throw ApiException.BadRequest("acl_allow is too long");
        var ids = acl.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (ids.Length == 0 || ids.Length > MaxIds || ids.Any(id => id.Length > 128 || id.Any(char.IsControl)))
            throw ApiException.BadRequest($"acl_allow must be empty, all, auth or a list of at most {MaxIds} account ids");
        return string.Join(',', ids.Distinct(StringComparer.Ordinal));
    }

    /// <summary>True when <paramref name="viewer"/> (null: not signed in) may see an icon of <paramref name="owner"/>
    /// with <paramref name="acl"/>.</summary>
    public static bool Allows(string owner, string? acl, string? viewer)
    {
        if (viewer is not null && viewer == owner) return true;
        acl = acl?.Trim() ?? "";
        if (acl == "all") return true;
        if (viewer is null || acl.Length == 0) return false;
        if (acl == "auth") return true;
        foreach (var id in acl.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            if (id == viewer) return true;
        return false;
    }
}
