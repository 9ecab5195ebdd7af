namespace Backend.Security;

public static partial class RequestSignature
{
    /// <summary>
    /// The DOMAIN of a session (version 2) signature, from a Host header. As the 2014 core.domainName:
    /// the host without its port, lower-cased, minus its first label when it has three or more labels
    /// ("www.example.com" gives "example.com", "api.eu.example.com" gives "eu.example.com", "example.com"
    /// and "localhost" stay as they are). One deliberate difference: IP literals ("127.0.0.1", "[::1]")
    /// are kept whole, where the original produced "0.0.1"; sessions are both created and checked by this
    /// server, so only consistency matters, and the value is also usable as a cookie domain.
    /// </summary>
    public static string DomainName(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var name = HostName.WithoutPort(host);
        if (!HostName.IsIpLiteral(name) && name.Count('.') >= 2)
            name = name[(name.IndexOf('.') + 1)..];
        return name.ToString().ToLowerInvariant();
    }

    /// <summary>
    /// Session (version 2) verification: true when <paramref name="header"/> is version 2 and its signature
    /// is HMAC-SHA1 (UTF-8 key) of <see cref="SessionStringToSign"/> for <paramref name="domain"/>, normally
    /// <see cref="DomainName"/> of the request's Host header. Call it only for signatures that came from the
    /// server-side session, never from a header or query. Constant-time comparison.
    /// </summary>
    public static bool VerifySession(SignatureHeader header, string secret, string domain)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(domain);
        if (header.Version != 2)
            return false;

        var buffer = new CharBuffer(stackalloc char[256]);
        try
        {
            StringToSignWriter.WriteSession(ref buffer, domain, header.Expires);
            return SignatureHmac.Matches(2, secret, latin1Key: false, buffer.Written, header.Signature);
        }
        finally
        {
            buffer.Dispose();
        }
    }

    /// <summary>The version 2 <c>bk-signature</c> value stored in the session by <c>/account/get?_session=1</c>.</summary>
    public static string CreateSessionHeader(string login, string secret, string domain, long expires)
    {
        ThrowIfInvalidField(login, nameof(login), allowEmpty: false);
        var signature = Compute(2, secret, SessionStringToSign(domain, expires));
        return new SignatureHeader(2, "", login, signature, expires, "").Format();
    }
}
