using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Backend.Security;

/// <summary>
/// A parsed <c>bk-signature</c> value: <c>VERSION|APPDATA|LOGIN|SIGNATURE|EXPIRES|CHECKSUM|</c>.
/// </summary>
/// <param name="Version">1 (HMAC-SHA1), 2 (session, HMAC-SHA1) or 3 (HMAC-SHA256).</param>
/// <param name="AppData">Opaque application data, usually empty.</param>
/// <param name="Login">The account login, trimmed.</param>
/// <param name="Signature">base64 HMAC, with its '=' padding.</param>
/// <param name="Expires">Milliseconds since the Unix epoch after which the request is refused.</param>
/// <param name="Checksum">base64(SHA-1(body)) for a JSON body, else empty.</param>
public sealed record SignatureHeader(int Version, string AppData, string Login, string Signature, long Expires, string Checksum)
{
    private const int FieldCount = 7;

    /// <summary>
    /// Parses a header or query value (already URL-decoded). Returns false for null or empty input, a field
    /// count other than seven, a version or expires that is not a plain non-negative integer, expires of 0
    /// (the 2014 server treated it as missing), or an empty login or signature. The seventh field is
    /// ignored, as the 2014 parser did.
    /// </summary>
    public static bool TryParse(string? value, [NotNullWhen(true)] out SignatureHeader? header)
    {
        header = null;
        if (string.IsNullOrEmpty(value))
            return false;

        var text = value.AsSpan();
        // One spare slot: an eighth field makes the count 8 instead of being folded into the seventh.
        Span<Range> fields = stackalloc Range[FieldCount + 1];
        if (text.Split(fields, '|') != FieldCount)
            return false;

        if (!int.TryParse(text[fields[0]], NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            return false;
        if (!long.TryParse(text[fields[4]], NumberStyles.None, CultureInfo.InvariantCulture, out var expires) || expires == 0)
            return false;

        var login = text[fields[2]].Trim();
        var signature = text[fields[3]];
        if (login.IsEmpty || signature.IsEmpty)
            return false;

        header = new SignatureHeader(
            version,
            text[fields[1]].ToString(),
            login.ToString(),
            signature.ToString(),
            expires,
            text[fields[5]].ToString());
        return true;
    }

    /// <summary>The seven-field wire form, last field empty.</summary>
    public string Format() =>
        string.Create(CultureInfo.InvariantCulture, $"{Version}|{AppData}|{Login}|{Signature}|{Expires}|{Checksum}|");
}
