using Backend.Data;

namespace Backend.Tests.Data;

/// <summary>Tables shared by the facade tests.</summary>
internal static class Schemas
{
    /// <summary>One column of every type, no defaults.</summary>
    public const string Items = "items";

    /// <summary>Defaults, a now column and a length limit.</summary>
    public const string Stamped = "stamped";

    /// <summary>A composite key.</summary>
    public const string Pairs = "pairs";

    public static void All(TableRegistry tables) => tables
        .Add(Items, t => t
            .Column("id", primary: true)
            .Column("name")
            .Column("n", ColumnType.Int)
            .Column("big", ColumnType.BigInt)
            .Column("score", ColumnType.Real)
            .Column("flag", ColumnType.Bool)
            .Column("doc", ColumnType.Json)
            .Column("hits", ColumnType.Counter))
        .Add(Stamped, t => t
            .Column("id", primary: true)
            .Column("name")
            .Column("status", value: "new")
            .Column("level", ColumnType.Int, value: 1)
            .Column("active", ColumnType.Bool, value: true)
            .Column("tags", ColumnType.Json, value: "[\"a\"]")
            .Column("short", maxLength: 10)
            .Column("mtime", ColumnType.BigInt, now: true))
        .Add(Pairs, t => t
            .Column("a", primary: true)
            .Column("b", ColumnType.Int, primary: true)
            .Column("v"));

    public static DbRow Row(params (string Name, object? Value)[] values)
    {
        var row = new DbRow();
        foreach (var (name, value) in values) row[name] = value;
        return row;
    }
}
