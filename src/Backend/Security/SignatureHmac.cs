using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Backend.Security;

/// <summary>
/// HMAC over a string to sign, base64 encoded, using stack buffers for the key, the message and the digest
/// (pooled arrays only for unusually long secrets or requests).
/// </summary>
internal static class SignatureHmac
{
    /// <summary>Base64 length of the longest digest (SHA-256, 32 bytes).</summary>
    public const int MaxBase64Chars = 44;

    private const int StackKeyBytes = 256;
    private const int StackDataBytes = 1024;

    /// <summary>
    /// Versions 1 and 2 use HMAC-SHA1 and version 3 HMAC-SHA256: the 2014 signRequest/checkSignature only
    /// switched to sha256 for version 3 and fell through to its sha1 default for the session version 2.
    /// </summary>
    public static bool IsKnownVersion(int version) => version is 1 or 2 or 3;

    /// <summary>Writes base64(HMAC(key, UTF-8(text))) into <paramref name="destination"/>; returns the char count.</summary>
    [SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "HMAC-SHA1 (versions 1 and 2) is fixed by the 2014 wire contract; HMAC-SHA1 is not affected by SHA-1 collisions.")]
    public static int Sign(int version, string secret, bool latin1Key, ReadOnlySpan<char> text, Span<char> destination)
    {
        var maxKey = SignatureKey.MaxByteCount(secret, latin1Key);
        var maxData = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rentedKey = null;
        byte[]? rentedData = null;
        Span<byte> key = maxKey <= StackKeyBytes ? stackalloc byte[StackKeyBytes] : (rentedKey = ArrayPool<byte>.Shared.Rent(maxKey));
        Span<byte> data = maxData <= StackDataBytes ? stackalloc byte[StackDataBytes] : (rentedData = ArrayPool<byte>.Shared.Rent(maxData));
        var keyLength = 0;
        try
        {
            keyLength = SignatureKey.Write(secret, latin1Key, key);
            var dataLength = Encoding.UTF8.GetBytes(text, data);
            Span<byte> digest = stackalloc byte[HMACSHA256.HashSizeInBytes];
            var digestLength = version == 3
                ? HMACSHA256.HashData(key[..keyLength], data[..dataLength], digest)
                : HMACSHA1.HashData(key[..keyLength], data[..dataLength], digest);
            Convert.TryToBase64Chars(digest[..digestLength], destination, out var written);
            return written;
        }
        finally
        {
            // Key bytes are the account secret: do not leave them in a pooled array or on the stack.
            CryptographicOperations.ZeroMemory(key[..keyLength]);
            if (rentedKey is not null)
                ArrayPool<byte>.Shared.Return(rentedKey);
            if (rentedData is not null)
                ArrayPool<byte>.Shared.Return(rentedData);
        }
    }

    /// <summary>
    /// Constant-time check of <paramref name="signature"/> against the HMAC of <paramref name="text"/>.
    /// Compares the base64 text exactly, like the 2014 server's string equality, so no alternative
    /// encodings of the same digest are accepted.
    /// </summary>
    public static bool Matches(int version, string secret, bool latin1Key, ReadOnlySpan<char> text, string signature)
    {
        Span<char> expected = stackalloc char[MaxBase64Chars];
        var length = Sign(version, secret, latin1Key, text, expected);
        return CryptographicOperations.FixedTimeEquals(
            MemoryMarshal.AsBytes(expected[..length]),
            MemoryMarshal.AsBytes(signature.AsSpan()));
    }
}
