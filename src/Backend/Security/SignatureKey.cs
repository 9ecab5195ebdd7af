using System.Text;

namespace Backend.Security;

/// <summary>
/// The HMAC key bytes of a secret. UTF-8 is what the 2014 server used; the "Latin-1" form is the low byte
/// of each UTF-16 unit, which is what the old browser client (crypto.js) fed to HMAC for non-ASCII secrets.
/// </summary>
internal static class SignatureKey
{
    public static int MaxByteCount(string secret, bool latin1) =>
        latin1 ? secret.Length : Encoding.UTF8.GetMaxByteCount(secret.Length);

    public static int Write(string secret, bool latin1, Span<byte> destination)
    {
        if (!latin1)
            return Encoding.UTF8.GetBytes(secret, destination);

        for (var i = 0; i < secret.Length; i++)
            destination[i] = unchecked((byte)secret[i]);
        return secret.Length;
    }
}
