using Backend.Data;

namespace Backend.Tests.Drivers.Sql;

/// <summary>Theory data of <see cref="SqlDriverTests{TTarget}"/> (static members cannot live on the generic class).</summary>
public static class SqlDriverData
{
    /// <summary>Names of rows r01..r12 of the operator tests.</summary>
    public static readonly string?[] Names =
    [
        "apple", "apricot", "banana", "blueberry", "cherry", "Apple pie",
        "grape", "grapefruit", "50% off", "500", "snake_case", null,
    ];

    /// <summary>big = Base + i.</summary>
    public const long Base = 1795970688797;

    public static TheoryData<string> Texts => new()
    {
        "",
        "plain",
        "MiXeD Case",
        "héllo wörld ñ ß",
        "emoji 😀👍🏽 and 中文 and עברית",
        "line\nbreak\ttab\r\n",
        "quotes ' \" ` \\ and ; -- /* */",
        "  leading and trailing  ",
        "%_[]^$",
    };

    public static TheoryData<double> Doubles => new()
    {
        0.0, 1.0, -1.5, 0.1 + 0.2, 1.0 / 3, Math.PI, double.MaxValue, double.MinValue, double.Epsilon, 2.2250738585072014E-308, 1e-300, 123456789.123456789, 9007199254740993.0,
    };

    public static TheoryData<string> Jsons => new()
    {
        "{\"b\":1,\"a\":[1,2.5,{\"z\":null,\"y\":\"s\"}],\"long key\":{\"k\":true}}",
        "[3,1,2]",
        "\"just a string\"",
        "42",
        "-0.125",
        "true",
        "{}",
        "[]",
        "{\"unicode\":\"é😀\\n\\\"q\\\"\",\"big\":12345678901234567890,\"small\":1e-7}",
    };

    public static TheoryData<string, DbCompare, object?, long[]> Operators => new()
    {
        { "name", DbCompare.Eq, "banana", [3] },
        { "name", DbCompare.Eq, "Banana", [] },
        { "name", DbCompare.Eq, "APPLE PIE", [] },
        { "name", DbCompare.Eq, null, [12] },
        { "name", DbCompare.Ne, null, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] },
        { "name", DbCompare.Ne, "apple", [2, 3, 4, 5, 6, 7, 8, 9, 10, 11] },
        { "n", DbCompare.Eq, "4", [4] },
        { "n", DbCompare.Ne, 5, [1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12] },
        { "n", DbCompare.Gt, 10, [11, 12] },
        { "n", DbCompare.Ge, "10", [10, 11, 12] },
        { "n", DbCompare.Lt, 3, [1, 2] },
        { "n", DbCompare.Le, 3L, [1, 2, 3] },
        { "score", DbCompare.Gt, 5.5, [12] },
        { "score", DbCompare.Le, "1", [1, 2] },
        { "big", DbCompare.Ge, Base + 11, [11, 12] },
        { "big", DbCompare.Lt, (Base + 2).ToString(System.Globalization.CultureInfo.InvariantCulture), [1] },
        { "flag", DbCompare.Eq, true, [2, 4, 6, 8, 10, 12] },
        { "flag", DbCompare.Eq, "0", [1, 3, 5, 7, 9, 11] },
        { "n", DbCompare.In, "2, 4,99", [2, 4] },
        { "n", DbCompare.In, new[] { 12, 1 }, [1, 12] },
        { "n", DbCompare.In, Array.Empty<int>(), [] },
        { "name", DbCompare.In, new[] { "apple", "cherry", "nope", "Banana" }, [1, 5] },
        { "name", DbCompare.In, "500", [10] },
        { "n", DbCompare.Between, "3,5", [3, 4, 5] },
        { "n", DbCompare.Between, new[] { 11, 20 }, [11, 12] },
        { "name", DbCompare.Between, new[] { "b", "c" }, [3, 4] },
        { "name", DbCompare.Between, new[] { "A", "Z" }, [6] },
        { "big", DbCompare.Between, new[] { Base + 1, Base + 2 }, [1, 2] },
        { "name", DbCompare.Gt, "cherry", [7, 8, 11] },
        { "name", DbCompare.Lt, "a", [6, 9, 10] },
        { "name", DbCompare.BeginsWith, "ap", [1, 2] },
        { "name", DbCompare.BeginsWith, "Ap", [6] },
        { "name", DbCompare.BeginsWith, "AP", [] },
        { "name", DbCompare.BeginsWith, "grape", [7, 8] },
        { "name", DbCompare.BeginsWith, "50%", [9] },
        { "name", DbCompare.BeginsWith, "snake_", [11] },
        { "name", DbCompare.BeginsWith, "zzz", [] },
        { "n", DbCompare.BeginsWith, "1", [1, 10, 11, 12] },
        { "name", DbCompare.Contains, "rape", [7, 8] },
        { "name", DbCompare.Contains, "pp", [1, 6] },
        { "name", DbCompare.Contains, "%", [9] },
        { "name", DbCompare.Contains, "e_c", [11] },
        { "name", DbCompare.Contains, "PP", [] },
        { "name", DbCompare.Contains, "e p", [6] },
        { "n", DbCompare.Contains, "1", [1, 10, 11, 12] },
        { "name", DbCompare.Like, "b%", [3, 4] },
        { "name", DbCompare.Like, "50%", [9, 10] },
        { "name", DbCompare.Like, "%berry", [4] },
        { "name", DbCompare.Like, "gr_pe", [7] },
        { "name", DbCompare.Like, "B%", [3, 4] },
        { "name", DbCompare.Like, "APPLE%", [1, 6] },
        { "name", DbCompare.Like, "%E_C%", [11] },
        { "n", DbCompare.Like, "1%", [1, 10, 11, 12] },
    };

    public static TheoryData<long> Longs => new() { 0, 1, -1, int.MaxValue + 1L, int.MinValue - 1L, long.MaxValue, long.MinValue, 1795970688797 };
}
