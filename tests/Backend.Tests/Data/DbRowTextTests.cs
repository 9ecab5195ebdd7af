using System.Text.Json.Nodes;
using Backend.Data;

namespace Backend.Tests.Data;

/// <summary>Rows in the shared cache (<c>DbRowText</c>): what comes back has the .NET types and values a database read
/// gives, for every column type.</summary>
public sealed class DbRowTextTests
{
    private static readonly TableSchema Table = new("t",
    [
        new ColumnSchema { Name = "id", Primary = 1 },
        new ColumnSchema { Name = "n", Type = ColumnType.Int },
        new ColumnSchema { Name = "ms", Type = ColumnType.BigInt },
        new ColumnSchema { Name = "r", Type = ColumnType.Real },
        new ColumnSchema { Name = "b", Type = ColumnType.Bool },
        new ColumnSchema { Name = "j", Type = ColumnType.Json },
        new ColumnSchema { Name = "c", Type = ColumnType.Counter },
    ]);

    [Fact]
    public void Every_column_type_comes_back_with_its_type_and_value()
    {
        var row = new DbRow
        {
            ["id"] = "a\u0001\"b\"\n",
            ["n"] = -5L,
            ["ms"] = 1_700_000_000_123L,
            ["r"] = 0.1 + 0.2,
            ["b"] = false,
            ["j"] = JsonNode.Parse("""{"x":[1,"2",null],"y":{"z":true}}"""),
            ["c"] = long.MaxValue,
            ["extra"] = 3L,
            ["none"] = null,
        };
        var back = DbRowText.Read(Table, DbRowText.Write(Table, row))!;
        Assert.Equal("a\u0001\"b\"\n", back["id"]);
        Assert.Equal(-5L, back["n"]);
        Assert.Equal(1_700_000_000_123L, back["ms"]);
        Assert.Equal(0.1 + 0.2, back["r"]);
        Assert.Equal(false, back["b"]);
        Assert.True(JsonNode.DeepEquals(row["j"] as JsonNode, back["j"] as JsonNode));
        Assert.Equal(long.MaxValue, back["c"]);
        Assert.Equal(3L, back["extra"]);
        Assert.False(back.ContainsKey("none"));
    }

    [Fact]
    public void A_missing_row_is_null_and_text_that_is_not_an_object_is_refused()
    {
        Assert.Equal("null", DbRowText.Write(Table, null));
        Assert.Null(DbRowText.Read(Table, "null"));
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => DbRowText.Read(Table, "[1]"));
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => DbRowText.Read(Table, "{"));
    }
}
