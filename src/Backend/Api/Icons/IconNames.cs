using System.Security.Cryptography;
using System.Text;
using Backend.Http;

namespace Backend.Api.Icons;

/// <summary>Icon prefixes, types and where their files live. Prefix and type are identifiers, as the reference has
/// them: prefix <c>[a-z0-9._-]</c>, type <c>[A-Za-z0-9._:-]</c> (the reference's <c>album1:icon1</c>); an account icon's
/// type is one of <c>0</c>-<c>9</c>, <c>a</c>-<c>z</c>. The file of an icon is
/// <c>icons/PREFIX/HH/HASH/TYPE.EXT</c>, HASH being the first 32 hex digits of the SHA-256 of the owner's id (so any id
/// makes a safe folder name) and <c>:</c> in TYPE written as <c>~</c> (not a type character, so the mapping is one to
/// one; the store refuses <c>:</c>).</summary>
internal static class IconNames
{
    public const int MaxPrefix = 64;
    public const int MaxType = 128;

    /// <summary>The folder of the images store holding icons.</summary>
    public const string Folder = "icons";

    /// <summary>The folder of the images store holding images uploaded without a row (<c>/icon/upload</c>).</summary>
    public const string UploadFolder = "uploads";

    public static string Prefix(string? prefix)
    {
        if (string.IsNullOrEmpty(prefix)) throw ApiException.BadRequest("prefix is required");
        if (!IsPrefix(prefix)) throw ApiException.BadRequest($"prefix must be 1-{MaxPrefix} of a-z, 0-9, '.', '_', '-'");
        return prefix;
    }

    /// <summary>True for a valid prefix: 1-<see cref="MaxPrefix"/> of a-z, 0-9, '.', '_', '-', not only dots.</summary>
    public static bool IsPrefix(string? prefix) =>
        prefix is { Length: > 0 and <= MaxPrefix } && prefix.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-') && !prefix.All(c => c == '.');

    public static string Type(string? type)
    {
        type ??= "";
        if (type.Length > MaxType || !type.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or ':') || (type.Length > 0 && type.All(c => c == '.')))
            throw ApiException.BadRequest($"type must be at most {MaxType} of A-Z, a-z, 0-9, '.', '_', '-', ':'");
        return type;
    }

    /// <summary>An account icon's type: one character 0-9 or a-z; <c>0</c> when not given.</summary>
    public static string AccountType(string? type)
    {
        if (string.IsNullOrEmpty(type)) return "0";
        return type.Length == 1 && (char.IsAsciiDigit(type[0]) || char.IsAsciiLetterLower(type[0]))
            ? type
            : throw ApiException.BadRequest("type must be 0-9 or a-z");
    }

    /// <summary>The row key of an icon.</summary>
    public static string Key(string prefix, string type) => $"{prefix}:{type}";

    /// <summary>A new store path for an icon's file: <c>TYPE.VERSION.EXT</c>, VERSION 64 random bits. Each upload gets
    /// a file of its own, so a replacement never overwrites the bytes the current row serves: until the new row is in,
    /// readers get the old picture under the old ACL, and a put the database refuses leaves the icon as it was.</summary>
    public static string NewPath(string id, string prefix, string type, string ext) =>
        $"{Folder}/{prefix}/{OwnerFolder(id)}/{(type.Length == 0 ? "_" : type.Replace(':', '~'))}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}.{ext}";

    /// <summary>The store path of the rendition <paramref name="size"/> of the icon file <paramref name="path"/>:
    /// <c>@SIZE</c> before the extension ('@' is not a type character, so it names nothing else).</summary>
    public static string Rendition(string path, string size)
    {
        var dot = path.LastIndexOf('.');
        return dot > path.LastIndexOf('/') ? $"{path[..dot]}@{size}{path[dot..]}" : $"{path}@{size}";
    }

    /// <summary>The folder of one owner's uploads (<c>/icon/upload</c>): <c>uploads/HH/HASH</c>, so deleting the account
    /// deletes one folder.</summary>
    public static string UploadOwnerFolder(string id) => $"{UploadFolder}/{OwnerFolder(id)}";

    /// <summary><c>HH/HASH</c>: HASH the first 32 hex digits of the SHA-256 of the id, HH its first two.</summary>
    public static string OwnerHash(string id) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..32];

    private static string OwnerFolder(string id)
    {
        var hash = OwnerHash(id);
        return $"{hash[..2]}/{hash}";
    }
}
