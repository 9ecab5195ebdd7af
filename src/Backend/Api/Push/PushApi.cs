using System.Globalization;
using Backend.Configuration;
using Backend.Data;
using Backend.Http;
using Backend.Push;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Backend.Api.Push;

/// <summary>Push notifications (docs/push.md): the devices of an account (<c>/device/add|get|del</c>, and the
/// reference's <c>device_id</c> account column), <c>/push/notify</c> for admins, the built-in triggers and the queue
/// (<see cref="PushDelivery"/>) in front of the senders of <see cref="Backend.Push"/>.</summary>
internal static class PushApi
{
    /// <summary>Registers the options, the senders, the queue (a hosted service, also the <see cref="IPushNotifier"/>
    /// and the trigger listener), the endpoints and the account hooks.</summary>
    public static void AddServices(IServiceCollection services, BackendConfig config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
        services.AddBackendOptions<PushOptions>(config);
        services.AddBackendOptions<ApnsOptions>(config);
        services.AddBackendOptions<FcmOptions>(config);
        services.AddBackendOptions<WebPushOptions>(config);
        services.AddBackendOptions<PushTriggerOptions>(config);
        // The built-in senders; an app adds its own for another scheme (or replaces one: the enabled sender registered
        // last wins, PushDelivery).
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPushSender, Backend.Push.Apns.ApnsSender>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPushSender, Backend.Push.Fcm.FcmSender>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPushSender, Backend.Push.WebPush.WebPushSender>());
        services.TryAddSingleton<PushDelivery>();
        services.AddHostedService(sp => sp.GetRequiredService<PushDelivery>());
        services.TryAddSingleton<IPushNotifier>(sp => sp.GetRequiredService<PushDelivery>());
        services.AddSingleton<IAccountEventListener>(sp => sp.GetRequiredService<PushDelivery>());
        services.TryAddSingleton<DeviceEndpoints>();
        services.AddSingleton<IAccountDeletionHandler, PushDeletion>();
        services.AddSingleton<IAccountWriteCheck, DeviceIdCheck>();
    }

    /// <summary>Maps the endpoints.</summary>
    public static IEndpointRouteBuilder MapPushApi(this IEndpointRouteBuilder routes)
    {
        var endpoints = routes.Handlers<DeviceEndpoints>();
        routes.MapMethods("/device/add", ApiRoutes.Methods, endpoints.Add);
        routes.MapMethods("/device/get", ApiRoutes.Methods, endpoints.Get);
        routes.MapMethods("/device/del", ApiRoutes.Methods, endpoints.Del);
        routes.MapMethods("/push/notify", ApiRoutes.Methods, endpoints.Notify);
        return routes;
    }

    /// <summary>Parses and checks a device id for storing: well formed, a service that has a sender, a token its
    /// sender accepts. Returns the canonical form; a 400 naming the problem otherwise.</summary>
    internal static PushDevice CheckDevice(string? deviceId, PushDelivery delivery)
    {
        if (!PushDevice.TryParse(deviceId, out var device))
            throw ApiException.BadRequest(deviceId is { Length: > PushDevice.MaxLength }
                ? $"device_id is too long: at most {PushDevice.MaxLength} characters"
                : "device_id must be SERVICE://TOKEN (apple://, fcm://, webpush://) or an APNs token");
        if (delivery.Sender(device.Service) is not { } sender)
            throw ApiException.BadRequest($"device_id: no push service {device.Service} (apple, fcm, webpush)");
        if (sender.CheckToken(device.Token) is { } problem) throw ApiException.BadRequest("device_id: " + problem);
        return device;
    }
}

/// <summary>The handlers of the device endpoints and <c>/push/notify</c>.</summary>
internal sealed class DeviceEndpoints(Db db, ApiReply reply, PushDelivery delivery, TimeProvider time)
{
    /// <summary><c>/device/add?device_id=SERVICE://TOKEN</c>: adds a device to the caller (again: refreshes its
    /// mtime). A device another account held moves to the caller.</summary>
    public async Task Add(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var device = PushApi.CheckDevice(api.Get("device_id"), delivery).ToString();
        var key = PushTables.Key(device);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var ct = context.RequestAborted;

        if (await db.GetAsync(PushTables.Owner, new DbRow { ["dkey"] = key }, ct) is { } owner && owner.GetString("id") is { } previous && previous != me)
            await db.DelAsync(PushTables.Device, new DbRow { ["id"] = previous, ["dkey"] = key }, CancellationToken.None);
        await db.PutAsync(PushTables.Owner, new DbRow { ["dkey"] = key, ["id"] = me }, CancellationToken.None);
        var existing = await db.GetAsync(PushTables.Device, new DbRow { ["id"] = me, ["dkey"] = key }, CancellationToken.None);
        var row = new DbRow
        {
            ["id"] = me,
            ["dkey"] = key,
            ["device"] = device,
            ["service"] = device[..device.IndexOf(':', StringComparison.Ordinal)],
            ["ctime"] = existing?.GetLong("ctime") ?? now,
        };
        await db.PutAsync(PushTables.Device, row, CancellationToken.None);
        if (existing is null) await DropOldest(me);
        var stored = await db.GetAsync(PushTables.Device, new DbRow { ["id"] = me, ["dkey"] = key }, CancellationToken.None) ?? row;
        await reply.Send(context, Shown(stored));
    }

    // An account keeps at most MaxDevicesPerAccount devices: the one added longest ago goes.
    private async Task DropOldest(string me)
    {
        var all = await db.SelectAsync(PushTables.Device, new DbRow { ["id"] = me },
            new DbOptions { Count = PushTables.MaxDevicesPerAccount + 10, Select = ["id", "dkey", "mtime"] }, CancellationToken.None);
        if (all.Rows.Count <= PushTables.MaxDevicesPerAccount) return;
        foreach (var old in all.Rows.OrderBy(r => r.GetLong("mtime") ?? 0).Take(all.Rows.Count - PushTables.MaxDevicesPerAccount))
            await db.DelAsync(PushTables.Device, new DbRow { ["id"] = me, ["dkey"] = old.GetString("dkey") }, CancellationToken.None);
    }

    /// <summary><c>/device/get</c>: the caller's devices, <c>{"data":[{"device_id","service","ctime","mtime"}]}</c>,
    /// the ones added last first.</summary>
    public async Task Get(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var rows = await db.SelectAsync(PushTables.Device, new DbRow { ["id"] = me },
            new DbOptions { Count = PushTables.MaxDevicesPerAccount + 10 }, context.RequestAborted);
        var data = rows.Rows.OrderByDescending(r => r.GetLong("mtime") ?? 0).Select(Shown).ToList();
        await reply.Send(context, new DbRow { ["data"] = data });
    }

    /// <summary><c>/device/del?device_id=...</c>: removes one of the caller's devices (a device it does not hold is a
    /// 404).</summary>
    public async Task Del(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        if (!PushDevice.TryParse(api.Get("device_id"), out var device)) throw ApiException.BadRequest("device_id is required: SERVICE://TOKEN");
        var key = PushTables.Key(device.ToString());
        var deleted = await db.DelAsync(PushTables.Device, new DbRow { ["id"] = me, ["dkey"] = key }, context.RequestAborted);
        await PushTables.ReleaseOwner(db, key, me, CancellationToken.None);
        if (deleted.Affected == 0) throw ApiException.NotFound("No such device");
        await reply.Send(context, new DbRow { ["device_id"] = device.ToString() });
    }

    /// <summary><c>/push/notify?id=ACCOUNT&amp;msg=TEXT&amp;title=T&amp;badge=N&amp;prefix=P&amp;sound=S&amp;offline=1&amp;kind=K</c>
    /// (admins): queues a notification for the account, as an app's code does through <see cref="IPushNotifier"/>.
    /// Answers <c>{"queued":true|false}</c>.</summary>
    public async Task Notify(HttpContext context)
    {
        var api = context.Api();
        api.RequireAccountId();
        if (!api.IsAdmin) throw new ApiException(403, "Access denied: /push/notify is for admins");
        var id = api.Require("id");
        var msg = api.Get("msg");
        int? badge = null;
        if (api.Get("badge") is { } b)
            badge = int.TryParse(b, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0 ? n : throw ApiException.BadRequest("badge must be a whole number, 0 or more");
        if (msg is null && badge is null) throw ApiException.BadRequest("msg or badge is required");
        if (msg is { Length: > 2000 }) throw new ApiException(413, "msg is too long: at most 2000 characters");
        if (api.Get("title") is { Length: > 200 }) throw new ApiException(413, "title is too long: at most 200 characters");
        if (await db.GetAsync(AccountTables.Account, new DbRow { ["id"] = id }, new DbOptions { Select = ["id"] }, context.RequestAborted) is null)
            throw ApiException.NotFound("No account record found");
        var notification = new PushNotification(msg, badge, api.Get("prefix"))
        {
            Title = api.Get("title"),
            Sound = api.Get("sound"),
            Kind = api.Get("kind"),
            OnlyOffline = api.Get("offline") is null || api.Flag("offline"),
        };
        await reply.Send(context, new DbRow { ["queued"] = delivery.Notify(id, notification) });
    }

    private static DbRow Shown(DbRow row) => new()
    {
        ["device_id"] = row.GetString("device"),
        ["service"] = row.GetString("service"),
        ["ctime"] = row.GetLong("ctime"),
        ["mtime"] = row.GetLong("mtime"),
    };
}

/// <summary>Checks <c>device_id</c> on <c>/account/add</c> and <c>/account/update</c> as <c>/device/add</c> does, and
/// stores it in canonical form.</summary>
internal sealed class DeviceIdCheck(PushDelivery delivery) : IAccountWriteCheck
{
    public void Check(DbRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (row.GetValueOrDefault(PushTables.AccountDeviceColumn) is string { Length: > 0 } value)
            row[PushTables.AccountDeviceColumn] = PushApi.CheckDevice(value, delivery).ToString();
        if (row.GetValueOrDefault(PushTables.AccountMuteColumn) is string { Length: > AccountTables.ShortText })
            throw ApiException.BadRequest("push_mute is too long");
    }
}

/// <summary>On account deletion: removes the account's devices and the owner rows it held.</summary>
internal sealed class PushDeletion(Db db) : IAccountDeletionHandler
{
    public async Task DeleteAccountDataAsync(string accountId, DbRow? account, CancellationToken cancellationToken)
    {
        var rows = await db.SelectAsync(PushTables.Device, new DbRow { ["id"] = accountId },
            new DbOptions { Count = PushTables.MaxDevicesPerAccount + 10, Select = ["id", "dkey"] }, cancellationToken);
        foreach (var row in rows.Rows)
        {
            var key = row.GetString("dkey");
            await db.DelAsync(PushTables.Device, new DbRow { ["id"] = accountId, ["dkey"] = key }, cancellationToken);
            await PushTables.ReleaseOwner(db, key!, accountId, cancellationToken);
        }
    }
}
