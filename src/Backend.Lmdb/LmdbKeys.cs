using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Backend.Data;

namespace Backend.Lmdb;

/// <summary>The key and value encodings of the LMDB driver.
/// <para>Keys are order-preserving: LMDB compares keys bytewise (memcmp), so a cursor walks rows in the order the SQL
/// drivers sort them. A key is the concatenation of the encodings of its columns; each encoding is self-delimiting:</para>
/// <list type="bullet">
/// <item>NULL: <c>01</c> (first, like NULLs in an ascending SQL order).</item>
/// <item>A value: <c>02</c>, then: integers (Int, BigInt, Counter) as 8 bytes big-endian with the sign bit flipped;
/// reals as the 8 IEEE bytes big-endian, sign bit flipped for positives and all bits flipped for negatives (-0 as 0);
/// bools as one byte 0/1; text and JSON text as UTF-8 with each <c>00</c> byte written <c>00 FF</c>, ended by
/// <c>00</c> (code point order, like SQLite's BINARY collation).</item>
/// </list>
/// <para>A row's value is a JSON object of the row's non-null described columns, each as its stored text (text as is,
/// integers invariant, reals "R", bools "1"/"0", JSON as its text), which <see cref="DbValues.FromStore"/> turns back
/// into exactly the written values (the same stored texts as the Redis driver).</para></summary>
internal static class LmdbKeys
{
    /// <summary>Order encoding of NULL.</summary>
    public const byte NullMark = 0x01;

    /// <summary>First byte of the order encoding of any value.</summary>
    public const byte ValueMark = 0x02;

    /// <summary>The stored text of a canonical value (also the text that begins_with, contains and like look at).</summary>
    public static string Stored(object value) => value switch
    {
        string s => s,
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => (d == 0 ? 0.0 : d).ToString("R", CultureInfo.InvariantCulture), // -0 is stored as 0, as SQLite does
        bool b => b ? "1" : "0",
        JsonNode n => n.ToJsonString(),
        _ => DbValues.ToText(value) ?? "",
    };

    /// <summary>Appends the order encoding of a column value.</summary>
    public static void Append(ArrayBufferWriter<byte> buffer, ColumnSchema column, object? value)
    {
        if (value is null)
        {
            Put(buffer, NullMark);
            return;
        }
        Put(buffer, ValueMark);
        switch (column.Type)
        {
            case ColumnType.Int or ColumnType.BigInt or ColumnType.Counter when DbValues.ToLong(value) is long l:
                BinaryPrimitives.WriteUInt64BigEndian(buffer.GetSpan(8), (ulong)l ^ 0x8000_0000_0000_0000UL);
                buffer.Advance(8);
                break;
            case ColumnType.Real when DbValues.ToDouble(value) is double d:
                var bits = (ulong)BitConverter.DoubleToInt64Bits(d == 0 ? 0.0 : d);
                bits = (bits & 0x8000_0000_0000_0000UL) != 0 ? ~bits : bits ^ 0x8000_0000_0000_0000UL;
                BinaryPrimitives.WriteUInt64BigEndian(buffer.GetSpan(8), bits);
                buffer.Advance(8);
                break;
            case ColumnType.Bool when value is bool b:
                Put(buffer, b ? (byte)1 : (byte)0);
                break;
            default:
                AppendText(buffer, Stored(value));
                break;
        }
    }

    private static void AppendText(ArrayBufferWriter<byte> buffer, string text, bool terminate = true)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        foreach (var b in bytes)
        {
            Put(buffer, b);
            if (b == 0) Put(buffer, 0xFF);
        }
        if (terminate) Put(buffer, 0);
    }

    /// <summary>The encoding every text value starting with <paramref name="text"/> starts with (no terminator).</summary>
    public static byte[] TextPrefix(string text)
    {
        var buffer = new ArrayBufferWriter<byte>(16);
        Put(buffer, ValueMark);
        AppendText(buffer, text, terminate: false);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>True when a condition value encodes as the column's own kind of value (a number for a numeric
    /// column, a bool for a bool, text for text): only then does its encoding bound a key range.</summary>
    public static bool Encodable(ColumnSchema column, object? value) => value is not null && column.Type switch
    {
        ColumnType.Int or ColumnType.BigInt or ColumnType.Counter => DbValues.ToLong(value) is not null,
        ColumnType.Real => DbValues.ToDouble(value) is not null,
        ColumnType.Bool => value is bool,
        ColumnType.Text => value is string,
        _ => false,
    };

    private static void Put(ArrayBufferWriter<byte> buffer, byte b)
    {
        buffer.GetSpan(1)[0] = b;
        buffer.Advance(1);
    }

    /// <summary>The encoding of the given columns' values of a row, in order (a primary key, or an index prefix).</summary>
    public static byte[] Encode(IReadOnlyList<ColumnSchema> columns, IReadOnlyDictionary<string, object?> row)
    {
        var buffer = new ArrayBufferWriter<byte>(32);
        foreach (var c in columns) Append(buffer, c, row.GetValueOrDefault(c.Name));
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The encoding of one value.</summary>
    public static byte[] Encode(ColumnSchema column, object? value)
    {
        var buffer = new ArrayBufferWriter<byte>(16);
        Append(buffer, column, value);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Two byte arrays one after the other.</summary>
    public static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var result = new byte[a.Length + b.Length];
        a.CopyTo(result);
        b.CopyTo(result.AsSpan(a.Length));
        return result;
    }

    /// <summary>The stored value of a row: a JSON object of its non-null described columns as stored text, plus the
    /// <paramref name="kept"/> stored texts of columns this description does not have (a partial write by an older
    /// description keeps the columns a newer one wrote, as an SQL UPDATE does).</summary>
    public static byte[] EncodeRow(TableSchema table, DbRow row, IReadOnlyDictionary<string, string>? kept = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (var c in table.Columns)
            {
                if (row.GetValueOrDefault(c.Name) is not { } v) continue;
                w.WriteString(c.Name, Stored(v));
            }
            if (kept is not null)
                foreach (var (name, text) in kept)
                    if (!table.HasColumn(name)) w.WriteString(name, text);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The stored texts of a row's value, by column name, described or not.</summary>
    public static Dictionary<string, string> DecodeStored(ReadOnlySpan<byte> value)
    {
        var stored = new Dictionary<string, string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(value);
        string? name = null;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    name = reader.GetString();
                    break;
                case JsonTokenType.String when name is not null:
                    stored[name] = reader.GetString()!;
                    name = null;
                    break;
            }
        }
        return stored;
    }

    /// <summary>A typed row from its stored value; columns no longer described are left out.</summary>
    public static DbRow DecodeRow(TableSchema table, ReadOnlySpan<byte> value)
    {
        var row = new DbRow();
        var reader = new Utf8JsonReader(value);
        string? name = null;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    name = reader.GetString();
                    break;
                case JsonTokenType.String when name is not null:
                    if (table.Column(name) is { } column) row[name] = DbValues.FromStore(column, reader.GetString());
                    name = null;
                    break;
            }
        }
        // Table order, as the other drivers return columns.
        if (row.Count < 2) return row;
        var ordered = new DbRow(row.Count);
        foreach (var c in table.Columns)
            if (row.TryGetValue(c.Name, out var v)) ordered[c.Name] = v;
        return ordered;
    }
}
