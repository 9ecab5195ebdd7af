using System.Security.Cryptography;
using System.Text;
using Backend.Data;

namespace Backend.Api.Push;

/// <summary>The devices of the accounts. <c>bk_device</c>: owner <c>id</c> + <c>dkey</c> (SHA-256 of the device id,
/// base64url: a device id may be up to 4096 characters, longer than a key column may be on MySQL or DynamoDB), the
/// device id in canonical form, its service, when it was added and last added. <c>bk_device_owner</c>: <c>dkey</c> ->
/// the account that holds the device, so a device added by another account moves to it (a phone that changed
/// hands) and is never notified for two accounts. Nothing here is public: other accounts never see a device.</summary>
internal static class PushTables
{
    /// <summary>Devices per account.</summary>
    public const string Device = "bk_device";

    /// <summary>Which account holds a device.</summary>
    public const string Owner = "bk_device_owner";

    /// <summary>The account column of the reference: one device id, <c>SERVICE://TOKEN</c>.</summary>
    public const string AccountDeviceColumn = "device_id";

    /// <summary>The account column naming what its owner muted: empty (nothing), <c>all</c>, or kinds (<c>message</c>,
    /// <c>connection</c>, <c>ping</c>, an app's own).</summary>
    public const string AccountMuteColumn = "push_mute";

    /// <summary>Most devices one account keeps; adding one more drops the one added longest ago.</summary>
    public const int MaxDevicesPerAccount = 50;

    /// <summary>Describes both tables and the account columns.</summary>
    public static void Describe(TableRegistry tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        tables.Add(Device, t => t
            .Column("id", primary: true, maxLength: 128)
            .Column("dkey", primary: true, maxLength: 64)
            .Column("device", maxLength: Backend.Push.PushDevice.MaxLength + 32)
            .Column("service", maxLength: 64)
            .Column("ctime", ColumnType.BigInt)
            .Column("mtime", ColumnType.BigInt, now: true));
        tables.Add(Owner, t => t
            .Column("dkey", primary: true, maxLength: 64)
            .Column("id", maxLength: 128)
            .Column("mtime", ColumnType.BigInt, now: true));
        tables.Add(AccountTables.Account, t => t
            .Column(AccountDeviceColumn, maxLength: Backend.Push.PushDevice.MaxLength + 32)
            .Column(AccountMuteColumn, maxLength: AccountTables.ShortText));
    }

    /// <summary>Drops the owner row of a device when <paramref name="accountId"/> holds it (a device another account
    /// took over keeps its new owner).</summary>
    public static async Task ReleaseOwner(Db db, string key, string accountId, CancellationToken cancellationToken)
    {
        if (await db.GetAsync(Owner, new DbRow { ["dkey"] = key }, cancellationToken) is { } owner && owner.GetString("id") == accountId)
            await db.DelAsync(Owner, new DbRow { ["dkey"] = key }, cancellationToken);
    }

    /// <summary>The key of a device id (canonical form): SHA-256, base64url, 43 characters.</summary>
    public static string Key(string canonicalDeviceId)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(canonicalDeviceId), hash);
        return Convert.ToBase64String(hash).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
