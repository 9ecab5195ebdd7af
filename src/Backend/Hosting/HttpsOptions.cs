using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Backend.Configuration;
using Microsoft.Extensions.Configuration;

namespace Backend.Hosting;

/// <summary>The HTTPS port, with the reference's names: <c>-ssl-port</c>, <c>-ssl-bind</c>, and the certificate as
/// <c>-ssl-pfx</c> (PKCS#12) or <c>-ssl-cert</c> + <c>-ssl-key</c> (PEM), with <c>-ssl-passphrase</c> for a protected
/// file. Kestrel serves it (HTTP/1.1 and HTTP/2) next to the plain <c>-port</c>.</summary>
internal sealed class HttpsOptions
{
    /// <summary>HTTPS port, 0 for none.</summary>
    [ConfigurationKeyName("ssl-port")]
    public int Port { get; set; }

    /// <summary>Address of the HTTPS port; empty is <c>-bind</c>.</summary>
    [ConfigurationKeyName("ssl-bind")]
    public string? Bind { get; set; }

    /// <summary>PEM certificate file.</summary>
    [ConfigurationKeyName("ssl-cert")]
    public string? Cert { get; set; }

    /// <summary>PEM private key file.</summary>
    [ConfigurationKeyName("ssl-key")]
    public string? Key { get; set; }

    /// <summary>PKCS#12 file.</summary>
    [ConfigurationKeyName("ssl-pfx")]
    public string? Pfx { get; set; }

    /// <summary>Passphrase of the PKCS#12 file or the encrypted key.</summary>
    [ConfigurationKeyName("ssl-passphrase")]
    public string? Passphrase { get; set; }

    /// <summary>The certificate with its private key, checked at start-up: a missing or unreadable file, a wrong
    /// passphrase, a key that does not match the certificate, or both forms given is a <see cref="ConfigException"/>
    /// naming the parameter (<paramref name="name"/> gives the name the user wrote).</summary>
    public X509Certificate2 LoadCertificate(Func<string, string> name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var hasPfx = !string.IsNullOrEmpty(Pfx);
        var hasPem = !string.IsNullOrEmpty(Cert) || !string.IsNullOrEmpty(Key);
        if (hasPfx && hasPem) throw new ConfigException($"-{name("ssl-pfx")} and -{name("ssl-cert")}/-{name("ssl-key")} are two ways to give the certificate: give one");
        if (!hasPfx && !hasPem) throw new ConfigException($"-{name("ssl-port")} needs a certificate: -{name("ssl-pfx")} FILE, or -{name("ssl-cert")} FILE with -{name("ssl-key")} FILE");
        X509Certificate2 certificate;
        if (hasPfx)
        {
            var pfx = Existing(Pfx!, name("ssl-pfx"));
            try
            {
                certificate = X509CertificateLoader.LoadPkcs12FromFile(pfx, string.IsNullOrEmpty(Passphrase) ? null : Passphrase);
            }
            catch (CryptographicException ex)
            {
                throw new ConfigException($"invalid -{name("ssl-pfx")} {pfx}: not a PKCS#12 file, or the wrong -{name("ssl-passphrase")} ({ex.Message})");
            }
        }
        else
        {
            if (string.IsNullOrEmpty(Cert) || string.IsNullOrEmpty(Key))
                throw new ConfigException($"-{name("ssl-cert")} and -{name("ssl-key")} go together: give both files");
            var cert = Existing(Cert, name("ssl-cert"));
            var key = Existing(Key, name("ssl-key"));
            try
            {
                certificate = string.IsNullOrEmpty(Passphrase)
                    ? X509Certificate2.CreateFromPemFile(cert, key)
                    : X509Certificate2.CreateFromEncryptedPemFile(cert, Passphrase, key);
            }
            catch (Exception ex) when (ex is CryptographicException or ArgumentException)
            {
                throw new ConfigException($"invalid -{name("ssl-cert")} {cert} / -{name("ssl-key")} {key}: {ex.Message} (a PEM certificate and its PEM private key; an encrypted key needs -{name("ssl-passphrase")})");
            }
        }
        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new ConfigException($"the HTTPS certificate has no private key (-{name(hasPfx ? "ssl-pfx" : "ssl-key")})");
        }
        return certificate;
    }

    private static string Existing(string path, string parameter) =>
        File.Exists(path) ? path : throw new ConfigException($"invalid -{parameter}: no file {path}");
}
