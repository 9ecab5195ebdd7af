using System.Data.Common;
using Backend.Configuration;

namespace Backend.Data.Sql;

/// <summary>Reads SQL pool URLs (<c>scheme://user:password@host:port/database?option=value</c>) into an ADO.NET
/// connection string builder: the part every SQL driver's factory shares. Options are the client library's own
/// connection string keywords (<c>_</c> may stand for a space); anything it refuses is a <see cref="ConfigException"/>.</summary>
public static class PoolUrl
{
    /// <summary>The URL, or a <see cref="ConfigException"/> naming the parameter and the expected form.</summary>
    public static Uri Parse(string url, string parameter, string expected, params string[] schemes)
    {
        ArgumentNullException.ThrowIfNull(schemes);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || !schemes.Contains(uri.Scheme) || uri.Host.Length == 0)
            throw new ConfigException($"invalid -{parameter}: expected {expected}");
        return uri;
    }

    /// <summary>Copies database, user, password and options from the URL into the builder.</summary>
    public static void Apply(Uri uri, DbConnectionStringBuilder builder, string parameter, string userKeyword)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(builder);
        var database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
        if (database.Length > 0) builder["Database"] = database;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder[userKeyword] = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0) builder["Password"] = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]).Replace('_', ' ');
            var value = eq < 0 ? "true" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            try
            {
                builder[key] = value;
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException or InvalidOperationException)
            {
                throw new ConfigException($"invalid -{parameter} option {key}: {ex.Message}");
            }
        }
    }
}
