using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Backend.Data;
using StackExchange.Redis;

namespace Backend.Redis;

internal sealed partial class RedisDriver
{
    private async Task<DbResult> Select(DbRequest r, CancellationToken cancellationToken)
    {
        try
        {
            var db = await Database(cancellationToken);
            var order = r.Table.OrderColumns(r.Options);
            var result = await SelectRows(db, r, cancellationToken);
            // Without a select list every row is whole already: no projection and no copy of the list.
            var rows = r.Options.Select is null or { Count: 0 } ? result.Rows : result.Rows.Select(row => Project(r.Table, row, r.Options.Select, order)).ToList();
            return SelectPaging.Page(rows, order, r.Options.Count, r.Options.Select);
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
        {
            throw Translate(ex, $"{r.Operation} {r.Table.Name}");
        }
    }

    /// <summary>The matching rows in order: at most count + 1 of them after the paging token (all when no count).
    /// Between two batches the call stops when its token is cancelled or it has run for the pool's time limit (a
    /// <see cref="DbTimeout"/> 504); a batch, once sent, runs to its end on the server.</summary>
    private async Task<DbResult> SelectRows(IDatabase db, DbRequest r, CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + _timeoutMs;
        var table = r.Table;
        var o = r.Options;
        var keys = Keys(table);
        var order = table.OrderColumns(o);
        var token = string.IsNullOrEmpty(o.Start) ? null : DecodeToken(o.Start, order);
        var conditions = r.Conditions.Select(RedisFilter.Normalize).ToList();
        var plan = Plan(keys, conditions, order);
        var byKey = ByKey(plan, table, conditions);
        int? need = o.Count is int n ? n + 1 : null;
        var rows = new List<DbRow>();
        if (plan.Ordered)
        {
            var tm = token is null ? null : plan.MemberAt(order, token);
            var batch = need is int k ? Math.Clamp(k, 10, ReadBatch) : ReadBatch;
            // Ranges are disjoint and sorted, so reading them one after the other keeps the order.
            foreach (var range in o.Desc ? Enumerable.Reverse(plan.Ranges) : plan.Ranges)
            {
                if (tm is not null)
                {
                    if (!o.Desc && (range.Lower is null || RedisLayout.Compare(tm, range.Lower) >= 0)) (range.Lower, range.LowerInclusive) = (tm, false);
                    if (o.Desc && (range.Upper is null || RedisLayout.Compare(tm, range.Upper) <= 0)) (range.Upper, range.UpperInclusive) = (tm, false);
                }
                while (need is null || rows.Count < need)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (Environment.TickCount64 >= deadline) throw DbTimeout.Exceeded(_logger, Name, r, _timeoutMs);
                    var (read, members, last) = await ReadRange(db, keys, plan, range, o.Desc, batch, byKey);
                    foreach (var row in read)
                    {
                        if (!RedisFilter.Matches(row, conditions)) continue;
                        if (token is not null && !After(row, order, token, o.Desc)) continue;
                        rows.Add(row);
                        if (rows.Count == need) break;
                    }
                    // The range ends when it returned fewer members than asked, not fewer rows: a member whose row is
                    // gone (deleted between the two steps of a key-range read) must not end the page early.
                    if (members < batch || last is null) break;
                    if (o.Desc) (range.Upper, range.UpperInclusive) = (last, false);
                    else (range.Lower, range.LowerInclusive) = (last, false);
                    batch = Math.Min(batch * 2, ReadBatch);
                }
            }
            return new DbResult { Rows = rows };
        }

        // Not in the requested order: read every matching row, sort, then page.
        foreach (var range in plan.Ranges)
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (Environment.TickCount64 >= deadline) throw DbTimeout.Exceeded(_logger, Name, r, _timeoutMs);
                var (read, members, last) = await ReadRange(db, keys, plan, range, false, ReadBatch, byKey);
                rows.AddRange(read.Where(row => RedisFilter.Matches(row, conditions) && (token is null || After(row, order, token, o.Desc))));
                if (members < ReadBatch || last is null) break;
                (range.Lower, range.LowerInclusive) = (last, false);
            }
        }
        rows.Sort(RedisFilter.Comparer(order, o.Desc));
        if (need is int limit && rows.Count > limit) rows.RemoveRange(limit, rows.Count - limit);
        return new DbResult { Rows = rows };
    }

    private static bool After(DbRow row, IReadOnlyList<ColumnSchema> order, List<object?> token, bool desc)
    {
        var c = RedisFilter.Compare(row, order, token);
        return desc ? c < 0 : c > 0;
    }

    /// <summary>Whether a select reads its rows by key (<see cref="ReadKeyRange"/>) rather than with the read script:
    /// it walks the PK ZSET and has no condition on a non-key column (the usual select by key prefix). Its members are
    /// the rows' primary keys, which never change, so a row changed or deleted between the range and the fetch cannot
    /// move in the order: it is read as it is then, or skipped. An index member holds the indexed values, which a
    /// concurrent write can change; the script keeps the member and its row in one atomic step there, and where most
    /// of a batch may be filtered out (conditions on other columns) one script reply is cheaper than a pipeline of up
    /// to <see cref="ReadBatch"/> separate replies.</summary>
    private static bool ByKey(RangePlan plan, TableSchema table, List<DbCondition> conditions)
    {
        if (plan.IsIndex) return false;
        foreach (var c in conditions)
            if (table.Column(c.Column) is not { Primary: > 0 }) return false;
        return true;
    }

    /// <summary>One batch of one range of a plan: the rows (missing ones skipped), the number of members the range
    /// returned, and the last of them.</summary>
    private static Task<(List<DbRow> Rows, int Members, byte[]? Last)> ReadRange(IDatabase db, TableKeys keys, RangePlan plan, KeyRange range,
        bool desc, int limit, bool byKey) => byKey ? ReadKeyRange(db, keys, plan, range, desc, limit) : ReadScriptRange(db, keys, plan, range, desc, limit);

    /// <summary>A batch read with <see cref="RedisScripts.Read"/>: the range and its rows in one atomic step.</summary>
    private static async Task<(List<DbRow> Rows, int Members, byte[]? Last)> ReadScriptRange(IDatabase db, TableKeys keys, RangePlan plan, KeyRange range,
        bool desc, int limit)
    {
        RedisValue min = range.Lower is null ? "-" : (RedisValue)RedisLayout.Concat([range.LowerInclusive ? (byte)'[' : (byte)'('], range.Lower);
        RedisValue max = range.Upper is null ? "+" : (RedisValue)RedisLayout.Concat([range.UpperInclusive ? (byte)'[' : (byte)'('], range.Upper);
        var result = (RedisResult[])(await RedisScripts.ReadScript.EvaluateAsync(db, [plan.Key],
            [keys.RowPrefix, min, max, desc ? "1" : "0", limit, plan.IsIndex ? "1" : "0"]))!;
        var rows = new List<DbRow>(result.Length / 2);
        byte[]? last = null;
        for (var i = 0; i + 1 < result.Length; i += 2)
        {
            last = (byte[])result[i]!;
            if (ToRow(keys, (RedisResult[])result[i + 1]!) is { } row) rows.Add(row);
        }
        return (rows, result.Length / 2, last);
    }

    /// <summary>A batch of the PK ZSET read as a raw client would: ZRANGEBYLEX, then the rows' HGETALLs pipelined in
    /// one batch. Two round trips instead of the read script's one, but Redis no longer converts every HGETALL reply
    /// to a Lua table and back on its single thread, which cost more than the extra round trip (bench/README.md, "Db
    /// facade vs raw client"). Not atomic: a row deleted after the range was read has no fields and is skipped. Paging
    /// still visits every remaining row exactly once: the caller continues the range after the last member (not the
    /// last row), ends it only when fewer members than asked came back, and a page's token is the ordering values of
    /// its last returned row, whose key is a member of the range.</summary>
    private static async Task<(List<DbRow> Rows, int Members, byte[]? Last)> ReadKeyRange(IDatabase db, TableKeys keys, RangePlan plan, KeyRange range,
        bool desc, int limit)
    {
        var exclude = (range.LowerInclusive ? Exclude.None : Exclude.Start) | (range.UpperInclusive ? Exclude.None : Exclude.Stop);
        // Null bounds are open ("-" and "+"); SE.Redis adds the '[' or '(' of the others from exclude.
        var members = await db.SortedSetRangeByValueAsync(plan.Key, range.Lower is null ? RedisValue.Null : (RedisValue)range.Lower,
            range.Upper is null ? RedisValue.Null : (RedisValue)range.Upper, exclude, desc ? Order.Descending : Order.Ascending, 0, limit);
        if (members.Length == 0) return ([], 0, null);
        var batch = db.CreateBatch();
        var reads = new Task<HashEntry[]>[members.Length];
        for (var i = 0; i < members.Length; i++) reads[i] = batch.HashGetAllAsync(keys.Row((byte[])members[i]!));
        batch.Execute();
        var rows = new List<DbRow>(members.Length);
        foreach (var read in reads)
            if (ToRow(keys, await read) is { } row) rows.Add(row);
        return (rows, members.Length, (byte[])members[^1]!);
    }

    /// <summary>Chooses where to read: the PK ZSET or an index, whichever constrains the most leading columns
    /// (equality, then one range condition on the next column), preferring one already in the requested order.</summary>
    internal static RangePlan Plan(TableKeys keys, List<DbCondition> conditions, IReadOnlyList<ColumnSchema> order)
    {
        var eq = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var c in conditions.Where(c => c.Op == DbCompare.Eq)) eq[c.Column] = c.Value;
        var candidates = new List<RangePlan> { Candidate(keys.Pk, false, [], keys.PkColumns, conditions, eq, order) };
        foreach (var ix in keys.Indexes) candidates.Add(Candidate(ix.Key, true, ix.Columns, keys.PkColumns, conditions, eq, order));
        return candidates.OrderByDescending(c => c.Score).ThenByDescending(c => c.Ordered).ThenBy(c => c.IsIndex).First();
    }

    private static RangePlan Candidate(RedisKey key, bool isIndex, IReadOnlyList<ColumnSchema> indexColumns, IReadOnlyList<ColumnSchema> pkColumns,
        List<DbCondition> conditions, Dictionary<string, object?> eq, IReadOnlyList<ColumnSchema> order)
    {
        var source = indexColumns.Concat(pkColumns).ToList();
        var plan = new RangePlan { Key = key, IsIndex = isIndex, Source = source, IndexCount = indexColumns.Count, Eq = eq };
        var prefix = new ArrayBufferWriter<byte>(32);
        var e = 0;
        while (e < source.Count && eq.TryGetValue(source[e].Name, out var v)) RedisLayout.Append(prefix, source[e++], v);
        var p = prefix.WrittenSpan.ToArray();
        plan.Score = e * 2;
        var whole = new KeyRange();
        if (p.Length > 0) (whole.Lower, whole.LowerInclusive, whole.Upper, whole.UpperInclusive) = (p, true, High(p), false);
        plan.Ranges.Add(whole);
        if (e < source.Count && conditions.FirstOrDefault(c => c.Column == source[e].Name) is { } range)
        {
            if (range is { Op: DbCompare.In, Value: IReadOnlyList<object?> { Count: > 0 and <= MaxInRanges } items })
            {
                // one small range per value, sorted and without duplicates (NULLs never match)
                plan.Ranges.Clear();
                foreach (var at in items.Where(v => v is not null).Select(v => RedisLayout.Concat(p, RedisLayout.Encode(source[e], v)))
                    .DistinctBy(Convert.ToBase64String).Order(ByteComparer.Instance))
                    plan.Ranges.Add(new KeyRange { Lower = at, LowerInclusive = true, Upper = High(at), UpperInclusive = false });
                plan.Score++;
            }
            else if (Range(whole, p, source[e], range))
            {
                plan.Score++;
            }
        }
        // In order when, leaving out columns fixed by an equality, the requested order is a prefix of the source's.
        var s = source.Select(c => c.Name).Where(n => !eq.ContainsKey(n)).Distinct(StringComparer.Ordinal).ToList();
        var want = order.Select(c => c.Name).Where(n => !eq.ContainsKey(n)).ToList();
        plan.Ordered = want.Count <= s.Count && want.SequenceEqual(s.Take(want.Count), StringComparer.Ordinal);
        return plan;
    }

    /// <summary>Narrows a plan's range by a condition on the column after the equality prefix; false when it cannot.</summary>
    private static bool Range(KeyRange plan, byte[] prefix, ColumnSchema column, DbCondition c)
    {
        byte[] At(object v) => RedisLayout.Concat(prefix, RedisLayout.Encode(column, v));
        var values = RedisLayout.Concat(prefix, [RedisLayout.ValueMark]); // excludes NULLs
        switch (c.Op)
        {
            case DbCompare.Gt when c.Value is not null:
                (plan.Lower, plan.LowerInclusive) = (High(At(c.Value)), true);
                return true;
            case DbCompare.Ge when c.Value is not null:
                (plan.Lower, plan.LowerInclusive) = (At(c.Value), true);
                return true;
            case DbCompare.Lt when c.Value is not null:
                (plan.Lower, plan.LowerInclusive, plan.Upper, plan.UpperInclusive) = (values, true, At(c.Value), false);
                return true;
            case DbCompare.Le when c.Value is not null:
                (plan.Lower, plan.LowerInclusive, plan.Upper, plan.UpperInclusive) = (values, true, High(At(c.Value)), false);
                return true;
            case DbCompare.Between when c.Value is IReadOnlyList<object?> { Count: 2 } r && r[0] is { } lo && r[1] is { } hi:
                (plan.Lower, plan.LowerInclusive, plan.Upper, plan.UpperInclusive) = (At(lo), true, High(At(hi)), false);
                return true;
            case DbCompare.BeginsWith when column.Type is ColumnType.Text or ColumnType.Json:
                var buffer = new ArrayBufferWriter<byte>();
                buffer.Write(values);
                RedisLayout.AppendText(buffer, DbValues.ToText(c.Value) ?? "", terminate: false);
                var start = buffer.WrittenSpan.ToArray();
                (plan.Lower, plan.LowerInclusive, plan.Upper, plan.UpperInclusive) = (start, true, High(start), false);
                return true;
            default:
                return false;
        }
    }

    private static byte[] High(byte[] prefix) => RedisLayout.Concat(prefix, [RedisLayout.High]);

    /// <summary>Most values of an <c>in</c> read as one range each.</summary>
    internal const int MaxInRanges = 100;

    /// <summary>A ZRANGEBYLEX range: bounds are raw member bytes, null is open.</summary>
    internal sealed class KeyRange
    {
        public byte[]? Lower { get; set; }

        public bool LowerInclusive { get; set; }

        public byte[]? Upper { get; set; }

        public bool UpperInclusive { get; set; }
    }

    /// <summary>Where a select reads: disjoint ranges, in member order, of the PK ZSET or of an index ZSET.</summary>
    internal sealed class RangePlan
    {
        public required RedisKey Key { get; init; }

        public required bool IsIndex { get; init; }

        /// <summary>The columns members are ordered by: index columns then primary key.</summary>
        public required List<ColumnSchema> Source { get; init; }

        public required int IndexCount { get; init; }

        public required Dictionary<string, object?> Eq { get; init; }

        public List<KeyRange> Ranges { get; } = [];

        public int Score { get; set; }

        /// <summary>Members come in the requested order (after the equality-fixed columns).</summary>
        public bool Ordered { get; set; }

        /// <summary>The member of the row with the given ordering values (a paging token), or null when it cannot be built.</summary>
        public byte[]? MemberAt(IReadOnlyList<ColumnSchema> order, List<object?> values)
        {
            var index = new ArrayBufferWriter<byte>(32);
            var pk = new ArrayBufferWriter<byte>(32);
            for (var i = 0; i < Source.Count; i++)
            {
                var c = Source[i];
                object? v;
                if (Eq.TryGetValue(c.Name, out var fixedValue)) v = fixedValue;
                else
                {
                    var at = -1;
                    for (var j = 0; j < order.Count && at < 0; j++)
                        if (order[j].Name == c.Name) at = j;
                    if (at < 0) return null;
                    v = values[at];
                }
                RedisLayout.Append(i < IndexCount ? index : pk, c, v);
            }
            return IsIndex ? RedisLayout.IndexMember(index.WrittenSpan, pk.WrittenSpan) : pk.WrittenSpan.ToArray();
        }
    }

    /// <summary>Decodes a paging token with the core's checks (a malformed one is a 400).</summary>
    private static List<object?> DecodeToken(string token, IReadOnlyList<ColumnSchema> order) => [.. PagingToken.Decode(token, order)];

    // ---- index back-fill ----

    /// <summary>Builds an index from the existing rows, in batches; returns the number of rows seen.</summary>
    private static async Task<int> Backfill(IDatabase db, TableKeys keys, IndexInfo ix, CancellationToken cancellationToken)
    {
        byte[]? after = null;
        var seen = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = (RedisResult[])(await RedisScripts.ReadScript.EvaluateAsync(db, [keys.Pk],
                [keys.RowPrefix, after is null ? "-" : RedisLayout.Concat([(byte)'('], after), "+", "0", ReadBatch, "0"]))!;
            if (result.Length == 0) return seen;
            var pending = new List<(byte[] Pk, Dictionary<string, byte[]> Fields)>();
            for (var i = 0; i + 1 < result.Length; i += 2)
            {
                var fields = (RedisResult[])result[i + 1]!;
                var map = new Dictionary<string, byte[]>(StringComparer.Ordinal);
                for (var j = 0; j + 1 < fields.Length; j += 2) map[(string)fields[j]!] = (byte[])fields[j + 1]!;
                pending.Add(((byte[])result[i]!, map));
            }
            seen += pending.Count;
            after = pending[^1].Pk;
            for (var attempt = 0; pending.Count > 0; attempt++)
            {
                if (attempt == 20) throw new DbException(DbErrorKind.Unavailable, $"{keys.Table.Name}: rows keep changing while index {ix.Name} is built, try again");
                var args = new List<RedisValue> { keys.RowPrefix, ix.Columns.Count };
                args.AddRange(ix.Columns.Select(c => (RedisValue)c.Name));
                foreach (var (pk, fields) in pending)
                {
                    args.Add(pk);
                    foreach (var c in ix.Columns)
                    {
                        if (fields.TryGetValue(c.Name, out var raw))
                        {
                            args.Add(RedisLayout.Concat([(byte)'1'], raw));
                            args.Add(RedisLayout.Encode(c, DbValues.FromStore(c, Encoding.UTF8.GetString(raw))));
                        }
                        else
                        {
                            args.Add("0");
                            args.Add(new byte[] { RedisLayout.NullMark });
                        }
                    }
                }
                var retry = (RedisResult[])(await RedisScripts.BackfillScript.EvaluateAsync(db, [ix.Key], [.. args]))!;
                var again = new List<(byte[] Pk, Dictionary<string, byte[]> Fields)>();
                foreach (var at in retry)
                {
                    var pk = pending[(int)(long)at - 1].Pk;
                    var entries = await db.HashGetAllAsync(keys.Row(pk));
                    if (entries.Length == 0) continue;
                    again.Add((pk, entries.ToDictionary(e => (string)e.Name!, e => (byte[])e.Value!, StringComparer.Ordinal)));
                }
                pending = again;
            }
            if (result.Length / 2 < ReadBatch) return seen;
        }
    }
}
