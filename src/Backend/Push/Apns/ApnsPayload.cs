using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Backend.Push.Apns;

/// <summary>The JSON body of an APNs notification: <c>{"aps":{"alert":TEXT,"badge":N,"sound":S}}</c> (with a title,
/// <c>"alert":{"title":TITLE,"body":TEXT}</c>) plus the
/// message's data keys at the top level (a data key named <c>aps</c> is skipped: it never overrides Apple's
/// dictionary). A message with no alert, badge or sound is a background notification (<c>content-available</c>).
/// Kept within APNs' 4096 bytes by cutting the alert text.</summary>
internal static class ApnsPayload
{
    /// <summary>APNs' limit for a (non-VoIP) notification payload, in bytes.</summary>
    public const int MaxBytes = 4096;

    private const string Ellipsis = "\u2026";

    // Non-ASCII text stays UTF-8 (not \uXXXX), which keeps more of the alert within the limit.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    /// <summary>True when the message shows something to the user (alert, badge or sound): APNs push type
    /// <c>alert</c>; else <c>background</c>.</summary>
    public static bool IsAlert(PushMessage message) =>
        !string.IsNullOrEmpty(message.Text) || !string.IsNullOrEmpty(message.Title) || message.Badge is not null || !string.IsNullOrEmpty(message.Sound);

    /// <summary>The payload, its alert text cut (on a character boundary, ending with an ellipsis) when the whole
    /// message is over <see cref="MaxBytes"/>; null when it cannot fit even with no text at all.</summary>
    public static byte[]? Build(PushMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        var text = message.Text;
        Write(buffer, message, text);
        if (buffer.WrittenCount <= MaxBytes) return buffer.WrittenSpan.ToArray();
        if (string.IsNullOrEmpty(text)) return null;
        Write(buffer, message, Ellipsis);
        if (buffer.WrittenCount > MaxBytes) return null;
        // The longest prefix that fits: a binary search over its length (only for messages over the limit).
        int fits = 0, over = text.Length;
        while (over - fits > 1)
        {
            var mid = Boundary(text, fits + ((over - fits) / 2));
            if (mid <= fits)
            {
                // The only boundary between them is a surrogate pair's start: the pair fits or it does not.
                mid = fits + 2 <= over ? fits + 2 : over;
                if (mid >= over) break;
            }
            Write(buffer, message, string.Concat(text.AsSpan(0, mid), Ellipsis));
            if (buffer.WrittenCount <= MaxBytes) fits = mid;
            else over = mid;
        }
        Write(buffer, message, string.Concat(text.AsSpan(0, fits), Ellipsis));
        return buffer.WrittenSpan.ToArray();
    }

    // A cut at length never splits a surrogate pair.
    private static int Boundary(string text, int length) =>
        length > 0 && length < text.Length && char.IsHighSurrogate(text[length - 1]) ? length - 1 : length;

    private static void Write(ArrayBufferWriter<byte> buffer, PushMessage message, string? text)
    {
        buffer.ResetWrittenCount();
        using var json = new Utf8JsonWriter(buffer, WriterOptions);
        json.WriteStartObject();
        json.WriteStartObject("aps");
        if (!string.IsNullOrEmpty(message.Title))
        {
            json.WriteStartObject("alert");
            json.WriteString("title", message.Title);
            if (!string.IsNullOrEmpty(text)) json.WriteString("body", text);
            json.WriteEndObject();
        }
        else if (!string.IsNullOrEmpty(text))
        {
            json.WriteString("alert", text);
        }
        if (message.Badge is { } badge) json.WriteNumber("badge", badge);
        if (!string.IsNullOrEmpty(message.Sound)) json.WriteString("sound", message.Sound);
        if (!IsAlert(message)) json.WriteNumber("content-available", 1);
        json.WriteEndObject();
        if (message.Data is { } data)
        {
            foreach (var (key, value) in data)
            {
                if (key is null || key == "aps") continue;
                json.WriteString(key, value);
            }
        }
        json.WriteEndObject();
    }
}
