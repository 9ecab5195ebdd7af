using Backend.Data;
using Microsoft.Extensions.Options;

namespace Backend.Api.Status;

/// <summary>Whether a status row counts as online: it was put less than <c>-api-status-interval</c> ms ago. Computed
/// when read (never stored), so a row goes offline by itself without any write.</summary>
internal sealed class StatusPresence(long intervalMs, TimeProvider time)
{
    /// <summary>The rule of <c>-api-status-interval</c> on the app's clock.</summary>
    public StatusPresence(IOptions<StatusOptions> options, TimeProvider time)
        : this((options ?? throw new ArgumentNullException(nameof(options))).Value.IntervalMs, time)
    {
    }

    /// <summary>How long after a put the account stays online, in ms.</summary>
    public long IntervalMs { get; } = intervalMs;

    /// <summary>True when the row's <c>mtime</c> lies within the interval before now.</summary>
    public bool IsOnline(DbRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (row.GetLong("mtime") is not { } mtime) return false;
        var age = time.GetUtcNow().ToUnixTimeMilliseconds() - mtime;
        return age < IntervalMs;
    }

    /// <summary>The row processor of <c>bk_status</c>: adds the computed <c>online</c> property to every row read
    /// (skipped with <c>_noprocessrows=1</c>, which then shows the raw row).</summary>
    public void Process(DbRow row, DbOptions options, TableSchema table) => row["online"] = IsOnline(row);

    /// <summary>The reply for an account: <c>{id, status, online, mtime}</c>, or <c>{id, online:false}</c> when its
    /// status was never put (or was deleted).</summary>
    public DbRow Reply(string id, DbRow? row)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (row is null) return new DbRow { ["id"] = id, ["online"] = false };
        return new DbRow
        {
            ["id"] = id,
            ["status"] = row.GetValueOrDefault("status"),
            ["online"] = IsOnline(row),
            ["mtime"] = row.GetValueOrDefault("mtime"),
        };
    }
}
