namespace Backend.Push;

/// <summary>What one device is sent: the alert text, the badge number shown on the app icon, the sound and the app's
/// own key/value pairs (APNs: custom keys beside <c>aps</c>; FCM: <c>data</c>; Web Push: the JSON payload's
/// <c>data</c>). Every part is optional, but a message with no text, badge and data says nothing.</summary>
/// <param name="Text">The alert text (the reference's <c>msg</c>, with its <c>prefix</c> already applied).</param>
/// <param name="Badge">The badge number, or null to leave the app's badge as it is.</param>
/// <param name="Sound">The sound name (APNs, FCM), or null for none.</param>
/// <param name="Data">Custom string pairs for the app.</param>
public sealed record PushMessage(string? Text, int? Badge = null, string? Sound = null, IReadOnlyDictionary<string, string>? Data = null)
{
    /// <summary>A title shown above the text (APNs <c>alert.title</c>, FCM <c>notification.title</c>, Web Push
    /// <c>title</c>), or null for none.</summary>
    public string? Title { get; init; }
}
