using Backend.Data;

namespace Backend.Api.Connections;

/// <summary>The connection tables. <c>bk_connection</c> holds the links an account made (<c>id</c> = the owner),
/// <c>bk_reference</c> the reverse links (<c>id</c> = the target). DynamoDB has only a hash and a range key, so the
/// second key column <c>type</c> stores <c>TYPE:OTHERID</c>; a row processor splits it back for replies.</summary>
internal static class ConnectionTables
{
    /// <summary>Connections I made.</summary>
    public const string Connection = "bk_connection";

    /// <summary>Connections others made to me.</summary>
    public const string Reference = "bk_reference";

    /// <summary>The counters table whose <c>TYPE0</c>/<c>TYPE1</c> autoincr columns connections bump.</summary>
    public const string Counter = "bk_counter";

    /// <summary>The profiles table (targets must exist there; <c>_details</c> reads its public columns).</summary>
    public const string Account = "bk_account";

    /// <summary>Longest connection type.</summary>
    public const int MaxTypeLength = 64;

    /// <summary>Longest account id (as in <c>bk_account</c>).</summary>
    public const int MaxIdLength = 128;

    /// <summary>Describes both tables.</summary>
    public static void Describe(TableRegistry tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        foreach (var name in new[] { Connection, Reference })
        {
            tables.Add(name, t => t
                .Column("id", primary: true, maxLength: MaxIdLength)
                .Column("type", primary: true, maxLength: MaxTypeLength + 1 + MaxIdLength)
                .Column("state", maxLength: 1024)
                .Column("mtime", ColumnType.BigInt, now: true));
        }
    }
}
