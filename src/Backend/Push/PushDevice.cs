namespace Backend.Push;

/// <summary>A device id as the reference stores it: <c>SERVICE://TOKEN</c>, Apple when there is no scheme. The
/// service names are canonical (<c>apple</c>, <c>fcm</c>, <c>webpush</c>) with aliases: <c>apn</c>, <c>apns</c>,
/// <c>ios</c> are Apple; <c>gcm</c>, <c>google</c>, <c>android</c> are FCM (FCM takes the registration tokens GCM
/// issued); <c>web</c> is Web Push. Any other scheme is kept as written, for an app's own <see cref="IPushSender"/>.</summary>
/// <param name="Service">The canonical service name.</param>
/// <param name="Token">The device token (for Web Push, the subscription).</param>
public readonly record struct PushDevice(string Service, string Token)
{
    /// <summary>The longest device id accepted, in characters.</summary>
    public const int MaxLength = 4096;

    /// <summary>Apple Push Notification service.</summary>
    public const string Apple = "apple";

    /// <summary>Firebase Cloud Messaging (HTTP v1).</summary>
    public const string Fcm = "fcm";

    /// <summary>Web Push (RFC 8030 with VAPID and RFC 8291 payload encryption).</summary>
    public const string WebPush = "webpush";

    /// <summary>Splits a device id; false when it is empty, too long, or has an empty token or a scheme that is not
    /// letters, digits, '+', '-' or '.'.</summary>
    public static bool TryParse(string? deviceId, out PushDevice device)
    {
        device = default;
        if (string.IsNullOrWhiteSpace(deviceId) || deviceId.Length > MaxLength) return false;
        var sep = deviceId.IndexOf("://", StringComparison.Ordinal);
        if (sep < 0)
        {
            device = new PushDevice(Apple, deviceId.Trim());
            return device.Token.Length > 0;
        }
        var scheme = deviceId[..sep];
        var token = deviceId[(sep + 3)..].Trim();
        if (scheme.Length == 0 || token.Length == 0) return false;
        foreach (var c in scheme)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '-' or '.')) return false;
        }
        device = new PushDevice(Canonical(scheme), token);
        return true;
    }

    /// <summary>The canonical service name of a scheme (lower case; aliases mapped).</summary>
    public static string Canonical(string scheme)
    {
        ArgumentNullException.ThrowIfNull(scheme);
        return scheme.ToLowerInvariant() switch
        {
            "apple" or "apn" or "apns" or "ios" => Apple,
            "fcm" or "gcm" or "google" or "android" => Fcm,
            "webpush" or "web" => WebPush,
            var other => other,
        };
    }

    /// <summary>The device id in canonical form, <c>SERVICE://TOKEN</c>.</summary>
    public override string ToString() => Service + "://" + Token;
}
