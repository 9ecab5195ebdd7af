using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Backend.Data;
using StackExchange.Redis;

namespace Backend.Redis;

/// <summary>The key layout and the value encodings of the Redis driver.
/// <para>Keys of table T (the <c>{T}</c> braces are a Redis hash tag, so all keys of one table live in one cluster slot):</para>
/// <list type="bullet">
/// <item><c>bk:{T}:r:PK</c> HASH, one row: one field per non-null column holding its stored text, plus for each column
/// that is part of a described index a hidden field <c>"\0e:COLUMN"</c> holding the column's order encoding
/// (absent = NULL). Column names are identifiers, so they never start with NUL.</item>
/// <item><c>bk:{T}:pk</c> ZSET, every row's PK (score 0), in primary-key order (ZRANGEBYLEX).</item>
/// <item><c>bk:{T}:ix:C1,C2</c> ZSET per described index over columns C1, C2: members
/// <c>enc(C1) enc(C2) PK len(PK)</c> (score 0), where len is PK's byte length as 6 decimal digits, so a Lua script can
/// cut the PK off the end.</item>
/// <item><c>bk:{T}:ixs</c> SET of the index names (<c>C1,C2</c>) that are built; an index in the description but not
/// here is back-filled from the rows by <see cref="RedisDriver.InitTablesAsync"/>, one here but not in the
/// description is deleted.</item>
/// </list>
/// <para>PK is the concatenation of the order encodings of the primary-key columns. An order encoding is
/// self-delimiting and sorts bytewise (ZRANGEBYLEX is memcmp) exactly like the SQL drivers order values:</para>
/// <list type="bullet">
/// <item>NULL: <c>01</c> (first, like NULLs in an ascending SQL order).</item>
/// <item>A value: <c>02</c> then: text and JSON text as UTF-8 with each <c>00</c> byte written <c>00 FF</c>, ended by
/// <c>00</c> (code point order, like SQLite's BINARY collation); integers as one length byte (<c>0x60 + digits</c> for
/// n &gt;= 0, <c>0x50 - digits</c> for n &lt; 0) then the decimal digits (nine's complement for negatives), which a
/// Lua script can compute from HINCRBY's result; reals as 16 hex digits of the IEEE bits with the sign bit flipped
/// (all bits flipped for negatives, -0 as 0); bools as <c>0</c>/<c>1</c>.</item>
/// </list>
/// <para>Stored texts: text as is, integers invariant, reals "R" (round-trip), bools "1"/"0", JSON as JSON text;
/// <see cref="DbValues.FromStore"/> turns them back into exactly the written values.</para></summary>
internal static class RedisLayout
{
    /// <summary>Order encoding of NULL.</summary>
    public const byte NullMark = 0x01;

    /// <summary>First byte of the order encoding of any value.</summary>
    public const byte ValueMark = 0x02;

    /// <summary>A byte greater than any byte that can follow a complete or partial element: the upper end of prefix ranges.</summary>
    public const byte High = 0xFF;

    /// <summary>Prefix of the hidden field holding a column's order encoding.</summary>
    public const string EncPrefix = "\0e:";

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
                AppendLong(buffer, l);
                break;
            case ColumnType.Real when DbValues.ToDouble(value) is double d:
                AppendDouble(buffer, d);
                break;
            case ColumnType.Bool when value is bool b:
                Put(buffer, b ? (byte)'1' : (byte)'0');
                break;
            default:
                AppendText(buffer, Stored(value), terminate: true);
                break;
        }
    }

    /// <summary>The order encoding of one value as a new array.</summary>
    public static byte[] Encode(ColumnSchema column, object? value)
    {
        var buffer = new ArrayBufferWriter<byte>(16);
        Append(buffer, column, value);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Text bytes with NUL escaped; without the terminator it is the prefix of every longer text.</summary>
    public static void AppendText(ArrayBufferWriter<byte> buffer, string text, bool terminate)
    {
        // Encoded straight into the buffer (no temporary array); NUL bytes, rare, are escaped in a second pass.
        var span = buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        var n = Encoding.UTF8.GetBytes(text, span);
        if (span[..n].IndexOf((byte)0) < 0)
        {
            buffer.Advance(n);
        }
        else
        {
            var bytes = span[..n].ToArray();
            foreach (var b in bytes)
            {
                Put(buffer, b);
                if (b == 0) Put(buffer, High);
            }
        }
        if (terminate) Put(buffer, 0);
    }

    private static void AppendLong(ArrayBufferWriter<byte> buffer, long value)
    {
        // Formatted on the stack: this runs for every key of every call.
        Span<char> text = stackalloc char[20];
        value.TryFormat(text, out var length, default, CultureInfo.InvariantCulture);
        text = text[..length];
        if (value >= 0)
        {
            Put(buffer, (byte)(0x60 + text.Length));
            foreach (var c in text) Put(buffer, (byte)c);
        }
        else
        {
            Put(buffer, (byte)(0x50 - (text.Length - 1)));
            foreach (var c in text[1..]) Put(buffer, (byte)('9' - c + '0'));
        }
    }

    private static void AppendDouble(ArrayBufferWriter<byte> buffer, double value)
    {
        if (value == 0) value = 0; // -0 and 0 are equal in SQL
        var bits = (ulong)BitConverter.DoubleToInt64Bits(value);
        bits = (bits & 0x8000_0000_0000_0000UL) != 0 ? ~bits : bits | 0x8000_0000_0000_0000UL;
        Span<byte> hex = stackalloc byte[16];
        for (var i = 15; i >= 0; i--)
        {
            var nibble = (int)(bits & 0xF);
            hex[i] = (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
            bits >>= 4;
        }
        buffer.Write(hex);
    }

    private static void Put(ArrayBufferWriter<byte> buffer, byte b)
    {
        buffer.GetSpan(1)[0] = b;
        buffer.Advance(1);
    }

    /// <summary>Byte order of two encodings (the order of ZRANGEBYLEX).</summary>
    public static int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => a.SequenceCompareTo(b);

    /// <summary>The 6-digit PK length that ends index members.</summary>
    public static byte[] IndexMember(ReadOnlySpan<byte> indexPart, ReadOnlySpan<byte> pk)
    {
        var suffix = Encoding.ASCII.GetBytes(pk.Length.ToString("D6", CultureInfo.InvariantCulture));
        var member = new byte[indexPart.Length + pk.Length + suffix.Length];
        indexPart.CopyTo(member);
        pk.CopyTo(member.AsSpan(indexPart.Length));
        suffix.CopyTo(member.AsSpan(indexPart.Length + pk.Length));
        return member;
    }

    /// <summary>Concatenation of byte arrays.</summary>
    public static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var r = new byte[a.Length + b.Length];
        a.CopyTo(r);
        b.CopyTo(r.AsSpan(a.Length));
        return r;
    }
}

/// <summary>The keys of one table (see <see cref="RedisLayout"/>).</summary>
internal sealed class TableKeys
{
    private readonly string _prefix;

    public TableKeys(TableSchema table)
    {
        Table = table;
        _prefix = "bk:{" + table.Name + "}:";
        RowPrefix = Encoding.UTF8.GetBytes(_prefix + "r:");
        Pk = _prefix + "pk";
        Built = _prefix + "ixs";
        PkColumns = [.. table.PrimaryKeys.Select(k => table.Column(k)!)];
        Indexes = [.. table.Indexes.Select(ix => new IndexInfo(IndexName(ix), _prefix + "ix:" + IndexName(ix), [.. ix.Select(c => table.Column(c)!)]))];
        Indexed = new HashSet<string>(table.Indexes.SelectMany(ix => ix), StringComparer.Ordinal);
        _columnNames = [.. table.Columns.Select(c => Encoding.UTF8.GetBytes(c.Name))];
    }

    // The columns' names as UTF-8, in table order, to match the field names of a reply without decoding them.
    private readonly byte[][] _columnNames;

    /// <summary>The table position of the column with this UTF-8 name, or -1 (an unknown column or a hidden field).
    /// The search starts at <paramref name="hint"/>, where the next field of a row most likely is.</summary>
    public int ColumnIndex(ReadOnlySpan<byte> name, int hint)
    {
        var n = _columnNames.Length;
        for (var i = 0; i < n; i++)
        {
            var j = hint + i;
            if (j >= n) j -= n;
            if (name.SequenceEqual(_columnNames[j])) return j;
        }
        return -1;
    }

    public TableSchema Table { get; }

    /// <summary>The bytes every row key starts with.</summary>
    public byte[] RowPrefix { get; }

    /// <summary>The primary-key ZSET.</summary>
    public RedisKey Pk { get; }

    /// <summary>The SET of built index names.</summary>
    public RedisKey Built { get; }

    public IReadOnlyList<ColumnSchema> PkColumns { get; }

    public IReadOnlyList<IndexInfo> Indexes { get; }

    /// <summary>Columns that are part of any described index (they carry a hidden order-encoding field).</summary>
    public HashSet<string> Indexed { get; }

    public static string IndexName(IEnumerable<string> columns) => string.Join(",", columns);

    public RedisKey IndexKey(string name) => _prefix + "ix:" + name;

    public RedisKey Row(byte[] pk) => RedisLayout.Concat(RowPrefix, pk);

    /// <summary>The row key (<c>bk:{T}:r:PK</c>) of a row from its primary-key values, built in one buffer.</summary>
    public RedisKey RowKeyOf(IReadOnlyDictionary<string, object?> row)
    {
        var buffer = new ArrayBufferWriter<byte>(RowPrefix.Length + 32);
        buffer.Write(RowPrefix);
        foreach (var c in PkColumns) RedisLayout.Append(buffer, c, row.GetValueOrDefault(c.Name));
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The PK of a row from its primary-key values.</summary>
    public byte[] PkOf(IReadOnlyDictionary<string, object?> row)
    {
        var buffer = new ArrayBufferWriter<byte>(32);
        foreach (var c in PkColumns) RedisLayout.Append(buffer, c, row.GetValueOrDefault(c.Name));
        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>A described index: its name (<c>C1,C2</c>), ZSET and columns.</summary>
internal sealed record IndexInfo(string Name, RedisKey Key, IReadOnlyList<ColumnSchema> Columns);
