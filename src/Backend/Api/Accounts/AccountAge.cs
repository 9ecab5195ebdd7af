using System.Globalization;
using Backend.Data;

namespace Backend.Api.Accounts;

/// <summary>The computed <c>age</c> of one's own account record (compat-notes: kept from the original): whole years
/// since <c>birthday</c>, the floor of the days elapsed divided by 365.</summary>
internal static class AccountAge
{
    /// <summary>Sets <c>age</c> on the row when its <c>birthday</c> reads as a date (ISO text such as 1990-05-17, or
    /// milliseconds since 1970) in the past.</summary>
    public static void Add(DbRow row, DateTimeOffset now)
    {
        if (Birthday(row.GetString("birthday")) is not { } birthday || birthday > now) return;
        row["age"] = (long)Math.Floor((now - birthday).TotalDays / 365);
    }

    private static DateTimeOffset? Birthday(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        text = text.Trim();
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ms))
            return ms is >= -62_135_596_800_000 and <= 253_402_300_799_999 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date) ? date : null;
    }
}
