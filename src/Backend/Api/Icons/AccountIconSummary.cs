using System.Text;
using System.Text.Json;
using Backend.Data;
using Backend.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Backend.Api.Icons;

/// <summary>The <c>iconN</c> properties of <c>/account/get</c> (the reference's "the next /account/get call will return
/// properties in the format iconN"): one per account icon the viewer may see, its value the URL
/// <c>/image/account/ID/N</c>. So that <c>/account/get</c> stays one read, <c>bk_account</c> keeps a summary of the
/// account's icons in the hidden column <c>icons</c>, a JSON object of type to <c>acl_allow</c>
/// (<c>{"0":"all","5":"","7":"id1,id2"}</c>): hidden, because the lists say whom an icon is shared with, which only its
/// owner may know, and nobody writes it through the API but this module (admins through the data API excepted). It is
/// rebuilt from <c>bk_icon</c> after each account icon put and delete, so a summary that went out of sync (a crash
/// between the icon and the summary, two uploads racing, an admin editing <c>bk_icon</c>) heals at the account's next
/// icon change.</summary>
internal static class AccountIconSummary
{
    /// <summary>The hidden <c>bk_account</c> column holding the summary.</summary>
    public const string Column = "icons";

    /// <summary>The account icon types (<see cref="IconNames.AccountType"/>): 36.</summary>
    private const int Types = 36;

    /// <summary>Longest summary: every type with the longest <c>acl_allow</c> and its quoting.</summary>
    public const int MaxLength = 2 + Types * (IconAccess.MaxAclLength + 8);

    /// <summary>Adds the summary column to <c>bk_account</c>.</summary>
    public static void Describe(TableRegistry tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        tables.Add(AccountTables.Account, t => t.Column(Column, hidden: true, maxLength: MaxLength));
    }

    /// <summary>Registers the <c>iconN</c> properties of <c>/account/get</c>.</summary>
    public static void AddServices(IServiceCollection services) => services.AddSingleton<IAccountViewHandler, Properties>();

    /// <summary>Rebuilds the summary of account <paramref name="id"/> after its icon <paramref name="type"/> was stored
    /// with <paramref name="acl"/>, or deleted (<paramref name="acl"/> null). The change just made overrides what the
    /// select returns for that type, so a select that does not see its own write yet (an eventually consistent index)
    /// cannot undo it. An account that no longer exists is left alone: an update never creates the row.
    /// <para>Two changes of different types racing could each read the icons before the other's row is in, and the
    /// later summary written would miss the other icon. So the icons are read again after the write, and the summary
    /// rewritten while they differ (a few rounds at most): the last writer's check comes after every row before it.</para></summary>
    public static async Task RebuildAsync(Db db, string id, string type, string? acl)
    {
        ArgumentNullException.ThrowIfNull(db);
        // Ignores cancellation like the icon writes it follows: the summary must follow the icon that was written.
        var ct = CancellationToken.None;
        var icons = await ReadAsync(db, id, type, acl, ct);
        for (var round = 0; round < 3; round++)
        {
            // No icons: the column is removed (null), so an account that never had one and one that deleted them all
            // look the same.
            await db.UpdateAsync(AccountTables.Account, new DbRow { ["id"] = id, [Column] = icons.Count == 0 ? null : Write(icons) }, ct);
            var again = await ReadAsync(db, id, type, acl, ct);
            if (again.SequenceEqual(icons)) return;
            icons = again;
        }
    }

    /// <summary>The account's icon types and their <c>acl_allow</c> as <c>bk_icon</c> has them, with the change just
    /// made applied over it.</summary>
    private static async Task<SortedDictionary<string, string>> ReadAsync(Db db, string id, string type, string? acl, CancellationToken ct)
    {
        var options = new DbOptions { Count = Types * 2, Select = ["id", "type", "acl_allow"] };
        options.Ops["type"] = DbCompare.BeginsWith;
        var result = await db.SelectAsync(IconTables.Icon, new DbRow { ["id"] = id, ["type"] = IconNames.Key(IconTables.AccountPrefix, "") }, options, ct);
        var icons = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var row in result.Rows)
        {
            if (TypeOf(row.GetString("type")) is { } t) icons[t] = row.GetString("acl_allow") ?? "";
        }
        if (acl is null) icons.Remove(type);
        else icons[type] = acl;
        return icons;
    }

    /// <summary>The account icon type of a <c>bk_icon</c> key (<c>account:N</c>), null for anything else.</summary>
    private static string? TypeOf(string? key)
    {
        var prefix = IconTables.AccountPrefix.Length + 1;
        if (key is null || key.Length != prefix + 1 || !key.StartsWith(IconTables.AccountPrefix + ":", StringComparison.Ordinal)) return null;
        return IsType(key[prefix]) ? key[prefix..] : null;
    }

    private static bool IsType(char c) => char.IsAsciiDigit(c) || char.IsAsciiLetterLower(c);

    private static string Write(SortedDictionary<string, string> icons)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (type, acl) in icons) writer.WriteString(type, acl);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Adds <c>iconN</c> to the accounts <c>/account/get</c> answers, for the icons the viewer may see (their
    /// <see cref="IconAccess"/> rule, the same as the URL's); nothing when the icon module is off
    /// (<c>-api-disable icon</c>: the URLs would answer 404). Accounts without icons cost one lookup.</summary>
    private sealed class Properties(IOptions<ServerOptions> server) : IAccountViewHandler
    {
        private readonly bool _enabled = !server.Value.Disable.Contains("icon", StringComparer.OrdinalIgnoreCase);

        public void AddProperties(DbRow stored, DbRow shown, string viewerId)
        {
            if (!_enabled || stored.GetString(Column) is not { Length: > 0 } summary || stored.GetString("id") is not { Length: > 0 } owner) return;
            try
            {
                var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(summary));
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return;
                string? escaped = null;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var type = reader.GetString()!;
                    if (!reader.Read() || reader.TokenType != JsonTokenType.String) return;
                    // Only real types become properties: the column may have been written by hand (admins).
                    if (type.Length != 1 || !IsType(type[0]) || !IconAccess.Allows(owner, reader.GetString(), viewerId)) continue;
                    escaped ??= Uri.EscapeDataString(owner);
                    shown["icon" + type] = $"/image/account/{escaped}/{type}";
                }
            }
            catch (JsonException)
            {
                // A summary that is not the JSON written here (edited by hand): no properties rather than a failed
                // /account/get; the next icon change rewrites it.
            }
        }
    }
}
