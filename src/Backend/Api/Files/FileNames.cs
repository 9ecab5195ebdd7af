using System.Globalization;
using System.Text;
using Backend.Http;

namespace Backend.Api.Files;

/// <summary>The rules for the files API's names, checked before the store is touched, so no client input can name a
/// file outside its prefix's folder: a prefix is <c>[A-Za-z0-9._-]</c> (as for icons), a name is one safe file name,
/// an extension comes from an allow-list pattern. Every breach is a 400.</summary>
internal static class FileNames
{
    /// <summary>Longest prefix, in characters.</summary>
    public const int MaxPrefixLength = 64;

    /// <summary>Longest stored file name (with the <c>_tm</c> stamp and the extension) in UTF-8 bytes: what file
    /// systems such as ext4 allow for one name.</summary>
    public const int MaxNameBytes = 255;

    /// <summary>Longest <c>_ext</c>, in characters.</summary>
    public const int MaxExtensionLength = 16;

    /// <summary>A valid prefix or a 400: 1 to 64 of <c>[A-Za-z0-9._-]</c>, not starting with a dot (so neither
    /// <c>.</c> nor <c>..</c>, nor a hidden folder).</summary>
    public static string Prefix(string? prefix)
    {
        if (string.IsNullOrEmpty(prefix)) throw ApiException.BadRequest("prefix is required");
        if (prefix.Length > MaxPrefixLength || prefix[0] == '.' || !prefix.All(IsPrefixChar))
            throw ApiException.BadRequest($"prefix must be 1 to {MaxPrefixLength} letters, digits, dots, underscores or dashes, not starting with a dot");
        return prefix;
    }

    /// <summary>A valid file name or a 400: no <c>/</c>, <c>\</c>, <c>:</c>, <c>..</c>, control or format characters
    /// (NUL, bidirectional overrides, ...), no leading dot or space, no trailing space or dot, at most
    /// <see cref="MaxNameBytes"/> UTF-8 bytes.</summary>
    public static string Name(string? name, string what = "name")
    {
        if (string.IsNullOrEmpty(name)) throw ApiException.BadRequest($"{what} is required");
        if (!IsSafeName(name)) throw ApiException.BadRequest($"{what} must be a plain file name: no /, \\, :, .., control characters, leading dot or space");
        if (Encoding.UTF8.GetByteCount(name) > MaxNameBytes) throw ApiException.BadRequest($"{what} is too long: at most {MaxNameBytes} bytes");
        return name;
    }

    /// <summary>A valid <c>_ext</c> (a leading dot is allowed and dropped) or a 400: 1 to 16 letters or digits.</summary>
    public static string Extension(string ext)
    {
        var bare = ext.StartsWith('.') ? ext[1..] : ext;
        if (bare.Length is 0 or > MaxExtensionLength || !bare.All(char.IsAsciiLetterOrDigit))
            throw ApiException.BadRequest($"_ext must be 1 to {MaxExtensionLength} letters or digits");
        return bare;
    }

    /// <summary>The stored name: the name without its extension, then <c>_MS</c> (the current time in milliseconds)
    /// when <paramref name="stamp"/> is given, then <c>._ext</c>, else the name's own extension.</summary>
    public static string Stored(string name, string? ext, long? stamp)
    {
        var dot = name.LastIndexOf('.');
        // "archive" has no extension; ".x" cannot happen (no leading dot).
        var (stem, own) = dot > 0 ? (name[..dot], name[dot..]) : (name, "");
        var stored = stem + (stamp is { } t ? "_" + t.ToString(CultureInfo.InvariantCulture) : "") + (ext is null ? own : "." + ext);
        return Name(stored);
    }

    private static bool IsPrefixChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-';

    private static bool IsSafeName(string name)
    {
        if (name[0] is '.' or ' ' || name[^1] is ' ' or '.') return false;
        if (name.Contains("..", StringComparison.Ordinal)) return false;
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c is '/' or '\\' or ':') return false;
            if (char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                i++;
                continue;
            }
            switch (char.GetUnicodeCategory(c))
            {
                case UnicodeCategory.Control:
                case UnicodeCategory.Format:
                case UnicodeCategory.LineSeparator:
                case UnicodeCategory.ParagraphSeparator:
                case UnicodeCategory.Surrogate:
                case UnicodeCategory.PrivateUse:
                case UnicodeCategory.OtherNotAssigned:
                    return false;
            }
        }
        return true;
    }
}
