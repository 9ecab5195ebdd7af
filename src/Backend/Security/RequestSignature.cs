using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;

namespace Backend.Security;

/// <summary>
/// The request-signature scheme of the 2014 platform (signature.md): canonical strings, HMACs,
/// header creation for clients and constant-time verification for the server.
/// </summary>
public static partial class RequestSignature
{
    /// <summary>
    /// The SORTED_QUERY line: the raw query split on '&amp;', empty items and items starting with
    /// <c>bk-signature</c> dropped, sorted by ordinal (UTF-16 code unit) order, joined with '&amp;'.
    /// Nothing is decoded or re-encoded. Returns <paramref name="rawQuery"/> itself when it is already canonical.
    /// </summary>
    public static string SortQuery(string rawQuery)
    {
        ArgumentNullException.ThrowIfNull(rawQuery);
        var buffer = new CharBuffer(stackalloc char[256]);
        try
        {
            QuerySorter.AppendSorted(ref buffer, rawQuery);
            return buffer.Written.SequenceEqual(rawQuery) ? rawQuery : buffer.Written.ToString();
        }
        finally
        {
            buffer.Dispose();
        }
    }

    /// <summary>
    /// The version 1/3 string to sign: "METHOD\nHOST\nPATH\nSORTED_QUERY\nEXPIRES\nCONTENT_TYPE\nCHECKSUM\n".
    /// The host is lower-cased and its port dropped unless <paramref name="keepPort"/> (the form some old
    /// browser clients sign for absolute URLs).
    /// </summary>
    public static string StringToSign(SigningRequest request, long expires, bool keepPort = false)
    {
        ArgumentNullException.ThrowIfNull(request);
        var buffer = new CharBuffer(stackalloc char[512]);
        try
        {
            StringToSignWriter.Write(ref buffer, request, expires, keepPort);
            return buffer.Written.ToString();
        }
        finally
        {
            buffer.Dispose();
        }
    }

    /// <summary>
    /// The version 2 (session) string to sign: "*\nDOMAIN\n/\n*\nEXPIRES\n*\n*\n", with
    /// <paramref name="domain"/> used as given (see <see cref="DomainName"/>).
    /// </summary>
    public static string SessionStringToSign(string domain, long expires)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var buffer = new CharBuffer(stackalloc char[256]);
        try
        {
            StringToSignWriter.WriteSession(ref buffer, domain, expires);
            return buffer.Written.ToString();
        }
        finally
        {
            buffer.Dispose();
        }
    }

    /// <summary>
    /// base64(HMAC(key = secret, UTF-8(stringToSign))), '=' padding kept. Versions 1 and 2 use HMAC-SHA1
    /// (the 2014 code only switched to SHA-256 for version 3; the session version 2 fell through to its
    /// SHA-1 default), version 3 HMAC-SHA256. The key is the secret's UTF-8 bytes, or with
    /// <paramref name="latin1Key"/> the low byte of each UTF-16 unit, as the old browser client hashed it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The version is not 1, 2 or 3.</exception>
    public static string Compute(int version, string secret, string stringToSign, bool latin1Key = false)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(stringToSign);
        ThrowIfUnknownVersion(version);
        Span<char> signature = stackalloc char[SignatureHmac.MaxBase64Chars];
        var length = SignatureHmac.Sign(version, secret, latin1Key, stringToSign, signature);
        return signature[..length].ToString();
    }

    /// <summary>The CHECKSUM of a JSON body: base64(SHA-1(body)).</summary>
    [SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "SHA-1 is fixed by the 2014 wire contract; it is an integrity check under an HMAC, not a signature.")]
    public static string BodyChecksum(ReadOnlySpan<byte> body)
    {
        Span<byte> digest = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(body, digest);
        return Convert.ToBase64String(digest);
    }

    /// <summary>Whether <paramref name="checksum"/> is the <see cref="BodyChecksum"/> of <paramref name="body"/>,
    /// compared in constant time.</summary>
    [SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "SHA-1 is fixed by the 2014 wire contract; it is an integrity check under an HMAC, not a signature.")]
    public static bool ChecksumEquals(ReadOnlySpan<byte> body, string checksum)
    {
        ArgumentNullException.ThrowIfNull(checksum);
        Span<byte> digest = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(body, digest);
        Span<byte> given = stackalloc byte[SHA1.HashSizeInBytes];
        return Convert.TryFromBase64String(checksum, given, out var n) && n == given.Length
            && CryptographicOperations.FixedTimeEquals(digest, given);
    }

    /// <summary>
    /// Client side (tests, benchmarks, .NET clients): the complete <c>bk-signature</c> value for a version 1
    /// or 3 request, signed over the host without its port with the secret's UTF-8 bytes. The request's
    /// checksum is repeated in the header's CHECKSUM field.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The version is not 1 or 3 (use <see cref="CreateSessionHeader"/> for 2).</exception>
    /// <exception cref="ArgumentException">The login is empty, or the login or app data contains '|'.</exception>
    public static string CreateHeader(int version, string login, string secret, SigningRequest request, long expires, string appData = "")
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(appData);
        if (version is not (1 or 3))
            throw new ArgumentOutOfRangeException(nameof(version), version, "Request signatures are version 1 or 3.");
        ThrowIfInvalidField(login, nameof(login), allowEmpty: false);
        ThrowIfInvalidField(appData, nameof(appData), allowEmpty: true);
        var signature = Compute(version, secret, StringToSign(request, expires));
        return new SignatureHeader(version, appData, login, signature, expires, request.Checksum).Format();
    }

    private static void ThrowIfUnknownVersion(int version)
    {
        if (!SignatureHmac.IsKnownVersion(version))
            throw new ArgumentOutOfRangeException(nameof(version), version, "Signature versions are 1, 2 and 3.");
    }

    private static void ThrowIfInvalidField(string value, string name, bool allowEmpty)
    {
        ArgumentNullException.ThrowIfNull(value, name);
        if (!allowEmpty && string.IsNullOrWhiteSpace(value))
            throw new ArgumentException("Must not be empty.", name);
        if (value.Contains('|', StringComparison.Ordinal))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"'|' separates the header fields and cannot appear in {name}."), name);
    }
}
