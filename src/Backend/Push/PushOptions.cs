using Microsoft.Extensions.Configuration;

namespace Backend.Push;

/// <summary>The push queue and the HTTP clients of the push services (<c>-push-*</c>).</summary>
internal sealed class PushOptions
{
    /// <summary>PEM file of more CA certificates trusted for the push services' TLS (a proxy's, or a test server's);
    /// the system's roots are always trusted too.</summary>
    [ConfigurationKeyName("push-ca-file")]
    public string CaFile { get; set; } = "";

    /// <summary>Milliseconds one send may take (connecting included) before it counts as a timeout (retried).</summary>
    [ConfigurationKeyName("push-timeout")]
    public int TimeoutMs { get; set; } = 10_000;

    /// <summary>Sends in flight at once, over every service (multiplexed on one HTTP/2 connection per service).</summary>
    [ConfigurationKeyName("push-concurrency")]
    public int Concurrency { get; set; } = 100;

    /// <summary>Notifications waiting to be sent; when full, new ones are dropped (counted and logged).</summary>
    [ConfigurationKeyName("push-queue-size")]
    public int QueueSize { get; set; } = 10_000;

    /// <summary>Times a send the service answered "later" (429, 5xx, timeout) is tried again.</summary>
    [ConfigurationKeyName("push-retries")]
    public int Retries { get; set; } = 5;

    /// <summary>Milliseconds before the first retry, doubled for each next one (with jitter), up to
    /// <see cref="RetryMaxDelayMs"/>; a longer <c>Retry-After</c> from the service wins.</summary>
    [ConfigurationKeyName("push-retry-delay")]
    public int RetryDelayMs { get; set; } = 1000;

    /// <summary>Longest wait before a retry, a service's <c>Retry-After</c> included (a longer one gives up).</summary>
    [ConfigurationKeyName("push-retry-max-delay")]
    public int RetryMaxDelayMs { get; set; } = 300_000;
}

/// <summary>APNs (<c>-apn-*</c>): token auth (<c>-apn-key</c> .p8, <c>-apn-key-id</c>, <c>-apn-team-id</c>) or the
/// reference's certificate auth (<c>-apn-cert</c>); <c>-apn-production</c> picks the production host.</summary>
internal sealed class ApnsOptions
{
    /// <summary>The reference's certificate auth: a PKCS#12 file, or a PEM file with the certificate and its key.</summary>
    [ConfigurationKeyName("apn-cert")]
    public string Cert { get; set; } = "";

    /// <summary>Passphrase of <see cref="Cert"/>.</summary>
    [ConfigurationKeyName("apn-passphrase")]
    public string Passphrase { get; set; } = "";

    /// <summary>api.push.apple.com when true, api.sandbox.push.apple.com when false (the reference's default).</summary>
    [ConfigurationKeyName("apn-production")]
    public bool Production { get; set; }

    /// <summary>Token auth: the .p8 signing key (PKCS#8 PEM, P-256) from Apple's developer site.</summary>
    [ConfigurationKeyName("apn-key")]
    public string Key { get; set; } = "";

    /// <summary>The 10-character id of <see cref="Key"/> (the JWT's <c>kid</c>).</summary>
    [ConfigurationKeyName("apn-key-id")]
    public string KeyId { get; set; } = "";

    /// <summary>The team id (the JWT's <c>iss</c>).</summary>
    [ConfigurationKeyName("apn-team-id")]
    public string TeamId { get; set; } = "";

    /// <summary>The app's bundle id (<c>apns-topic</c>); required with token auth, taken from the certificate when
    /// empty with certificate auth.</summary>
    [ConfigurationKeyName("apn-topic")]
    public string Topic { get; set; } = "";

    /// <summary>Base URL instead of Apple's hosts (a proxy or a test server), for example https://127.0.0.1:2197.</summary>
    [ConfigurationKeyName("apn-host")]
    public string Host { get; set; } = "";
}

/// <summary>FCM HTTP v1 (<c>-fcm-*</c>): a service-account key file; the reference's retired <c>-gcm-key</c>.</summary>
internal sealed class FcmOptions
{
    /// <summary>The service-account key (JSON with <c>client_email</c>, <c>private_key</c>, <c>token_uri</c>,
    /// <c>project_id</c>) from the Firebase console.</summary>
    [ConfigurationKeyName("fcm-key")]
    public string Key { get; set; } = "";

    /// <summary>The Firebase project id; the key's <c>project_id</c> when empty.</summary>
    [ConfigurationKeyName("fcm-project")]
    public string Project { get; set; } = "";

    /// <summary>Base URL of the FCM API instead of https://fcm.googleapis.com (a proxy or a test server).</summary>
    [ConfigurationKeyName("fcm-host")]
    public string Host { get; set; } = "";

    /// <summary>The reference's GCM server key: GCM's legacy API is shut down, so it is accepted, logged as retired,
    /// and not used.</summary>
    [ConfigurationKeyName("gcm-key")]
    public string GcmKey { get; set; } = "";
}

/// <summary>Web Push (<c>-webpush-*</c>): the VAPID key pair and subject.</summary>
internal sealed class WebPushOptions
{
    /// <summary>VAPID public key, base64url of the uncompressed P-256 point (65 bytes), given to browsers as
    /// <c>applicationServerKey</c>.</summary>
    [ConfigurationKeyName("webpush-public-key")]
    public string PublicKey { get; set; } = "";

    /// <summary>VAPID private key, base64url of the 32-byte P-256 scalar.</summary>
    [ConfigurationKeyName("webpush-private-key")]
    public string PrivateKey { get; set; } = "";

    /// <summary>VAPID subject: a <c>mailto:</c> address or an https URL the push service may contact.</summary>
    [ConfigurationKeyName("webpush-subject")]
    public string Subject { get; set; } = "";

    /// <summary>Accept subscriptions whose endpoint is http or a loopback/private address (tests, a private push
    /// server); off, such endpoints are refused when a device is added and never called.</summary>
    [ConfigurationKeyName("webpush-allow-private")]
    public bool AllowPrivate { get; set; }

    /// <summary>Seconds a push service keeps an undelivered notification (the <c>TTL</c> header).</summary>
    [ConfigurationKeyName("webpush-ttl")]
    public int Ttl { get; set; } = 86_400;
}
