using System.Text;

namespace Backend.Security;

public static partial class RequestSignature
{
    /// <summary>
    /// Server side: does <paramref name="header"/>'s signature match the request? Only versions 1 and 3
    /// are accepted here (a version 2 signature is valid only from the session, see <see cref="VerifySession"/>).
    /// Expiry, account and checksum-vs-body checks are the caller's.
    /// <para>
    /// Besides the contract form (host without port, UTF-8 key) it accepts two forms the old browser client
    /// produces (compat-notes.md): the host with its port, when the Host header has one, and a Latin-1 key,
    /// when the secret has non-ASCII characters. Every applicable form is always computed and compared in
    /// constant time, so neither the timing nor an early exit tells which one matched.
    /// </para>
    /// </summary>
    public static bool Verify(SignatureHeader header, string secret, SigningRequest request)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(request);
        if (header.Version is not (1 or 3))
            return false;

        var tryLatin1 = !Ascii.IsValid(secret);
        var tryPort = HostName.HasPort(request.Host);
        var match = false;
        var buffer = new CharBuffer(stackalloc char[512]);
        try
        {
            StringToSignWriter.Write(ref buffer, request, header.Expires, keepPort: false);
            match |= SignatureHmac.Matches(header.Version, secret, latin1Key: false, buffer.Written, header.Signature);
            if (tryLatin1)
                match |= SignatureHmac.Matches(header.Version, secret, latin1Key: true, buffer.Written, header.Signature);

            if (tryPort)
            {
                buffer.Clear();
                StringToSignWriter.Write(ref buffer, request, header.Expires, keepPort: true);
                match |= SignatureHmac.Matches(header.Version, secret, latin1Key: false, buffer.Written, header.Signature);
                if (tryLatin1)
                    match |= SignatureHmac.Matches(header.Version, secret, latin1Key: true, buffer.Written, header.Signature);
            }
        }
        finally
        {
            buffer.Dispose();
        }
        return match;
    }
}
