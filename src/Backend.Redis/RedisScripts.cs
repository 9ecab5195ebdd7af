using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace Backend.Redis;

/// <summary>A Lua script and its SHA1, computed once. The driver calls scripts by hash (EVALSHA): passing the text
/// makes StackExchange.Redis look its hash up in a table keyed by the whole text, hashing ~3.7 KB on every write
/// (measured 29.5 vs 24.3 μs a call). A server that does not know the script yet (first call, restart, SCRIPT
/// FLUSH) answers NOSCRIPT; <see cref="EvaluateAsync"/> then sends the text once, which loads it, and goes back to
/// the hash. NOSCRIPT means nothing ran, so the retry cannot apply a write twice.</summary>
internal sealed class RedisScript(string text)
{
    public string Text { get; } = text;

#pragma warning disable CA5350 // SHA1 is how Redis names scripts (EVALSHA), not a security measure
    public byte[] Sha1 { get; } = SHA1.HashData(Encoding.UTF8.GetBytes(text));
#pragma warning restore CA5350

    public async Task<RedisResult> EvaluateAsync(IDatabaseAsync db, RedisKey[] keys, RedisValue[] values)
    {
        try
        {
            return await db.ScriptEvaluateAsync(Sha1, keys, values);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            return await db.ScriptEvaluateAsync(Text, keys, values);
        }
    }
}

/// <summary>The Lua scripts of the driver. They run by hash (<see cref="RedisScript"/>), and Redis runs each one
/// atomically, so a row and its index entries never disagree.</summary>
internal static class RedisScripts
{
    public static readonly RedisScript WriteScript = new(Write);

    public static readonly RedisScript PutScript = new(Put);

    public static readonly RedisScript ReadScript = new(Read);

    public static readonly RedisScript BackfillScript = new(Backfill);

    private const string Common = """
        local function member(row, cols, pkm)
          local parts = {}
          for j = 1, #cols do
            parts[j] = redis.call('HGET', row, '\0e:' .. cols[j]) or '\1'
          end
          return table.concat(parts) .. pkm .. string.format('%06d', #pkm)
        end
        """;

    /// <summary>Applies writes (one, or all items of a batch) atomically.
    /// <para>ARGV: item count, then per item: op (the name of a <see cref="RedisWriteOp"/>, <see cref="RedisWriteOps.Token"/>:
    /// add put update replace incr incrx del; incrx is an incr of an existing row only: nothing when the row is missing), kbase (KEYS index of the row key;
    /// kbase+1 is the PK ZSET, kbase+1+j index j's ZSET), PK, changes (1 when non-key columns are written), index
    /// count, per index: affected flag, column count, columns; set count, field/value pairs; delete count, fields;
    /// incr count, field/delta/indexed triples.</para>
    /// <para>Returns {affected}, {-1, item} when an Add's key exists (nothing written), {-2, item, field} on a
    /// counter overflow (nothing written), {-3, item, field, error} when HINCRBY fails anyway (that item's counters
    /// are restored; earlier items of a batch stay written).</para>
    /// A first pass checks every Add against the keys as the batch itself leaves them and every counter for overflow,
    /// so a failing batch writes nothing.</summary>
    public const string Write = Common + """

        local function encint(s)
          if string.sub(s, 1, 1) == '-' then
            local d = string.sub(s, 2)
            local c = string.gsub(d, '%d', function(x) return string.char(105 - string.byte(x)) end)
            return '\2' .. string.char(80 - #d) .. c
          end
          return '\2' .. string.char(96 + #s) .. s
        end

        local items = {}
        local p = 2
        local function list(width)
          local n = tonumber(ARGV[p]) * width
          local t = {}
          for j = 1, n do t[j] = ARGV[p + j] end
          p = p + n + 1
          return t
        end
        for i = 1, tonumber(ARGV[1]) do
          local it = { op = ARGV[p], k = tonumber(ARGV[p + 1]), pkm = ARGV[p + 2], changes = ARGV[p + 3] == '1' }
          if it.op == 'incrx' then it.op = 'incr'; it.existing = true end
          p = p + 4
          local nix = tonumber(ARGV[p])
          p = p + 1
          it.ix = {}
          it.ixa = {}
          for j = 1, nix do
            it.ixa[j] = ARGV[p] == '1'
            p = p + 1
            it.ix[j] = list(1)
          end
          it.set = list(2)
          it.del = list(1)
          it.incr = list(3)
          items[i] = it
        end

        local state = {}
        for i, it in ipairs(items) do
          local row = KEYS[it.k]
          local e = state[row]
          if e == nil then e = redis.call('EXISTS', row) == 1 end
          if it.op == 'add' and e then return { -1, i } end
          for j = 1, #it.incr, 3 do
            local d = tonumber(it.incr[j + 1])
            if d ~= 0 then
              local cur = tonumber(redis.call('HGET', row, it.incr[j]) or '0') or 0
              local sum = cur + d
              -- Lua numbers are doubles: only a sum clearly past 2^63 is refused here; the last few thousand
              -- values before the limit are left to HINCRBY, whose own check is exact.
              if sum > 9.2233720368547799e18 or sum < -9.2233720368547799e18 then return { -2, i, it.incr[j] } end
            end
          end
          if it.op == 'del' then e = false elseif it.op ~= 'update' and not it.existing then e = true end
          state[row] = e
        end

        local total = 0
        for i, it in ipairs(items) do
          local row, pkz, op = KEYS[it.k], KEYS[it.k + 1], it.op
          local exists = redis.call('EXISTS', row) == 1
          if (op == 'update' or op == 'del' or it.existing) and not exists then
            -- nothing to do
          elseif it.existing and not it.changes then
            -- an incr of the existing row only, with only the key: reports that the row exists, like an update
            total = total + 1
          elseif exists and (op == 'incr' or op == 'replace') and not it.changes then
            -- an upsert of only the key onto an existing row changes nothing (like ON CONFLICT DO NOTHING)
          else
            local saved = {}
            for j = 1, #it.incr, 3 do saved[j] = redis.call('HGET', row, it.incr[j]) end
            for j = 1, #it.incr, 3 do
              local r = redis.pcall('HINCRBY', row, it.incr[j], it.incr[j + 1])
              if type(r) == 'table' and r.err then
                for s = 1, j, 3 do
                  if saved[s] then redis.call('HSET', row, it.incr[s], saved[s]) else redis.call('HDEL', row, it.incr[s]) end
                end
                return { -3, i, it.incr[j], r.err }
              end
            end
            local whole = op == 'put' or op == 'add' or op == 'del'
            if exists then
              for j = 1, #it.ix do
                if whole or it.ixa[j] then redis.call('ZREM', KEYS[it.k + 1 + j], member(row, it.ix[j], it.pkm)) end
              end
            end
            if op == 'del' then
              redis.call('DEL', row)
              redis.call('ZREM', pkz, it.pkm)
            else
              if op == 'put' and exists then redis.call('DEL', row) end
              if #it.set > 0 then redis.call('HSET', row, unpack(it.set)) end
              if #it.del > 0 then redis.call('HDEL', row, unpack(it.del)) end
              for j = 1, #it.incr, 3 do
                if it.incr[j + 2] == '1' then
                  redis.call('HSET', row, '\0e:' .. it.incr[j], encint(redis.call('HGET', row, it.incr[j])))
                end
              end
              for j = 1, #it.ix do
                if whole or it.ixa[j] or not exists then redis.call('ZADD', KEYS[it.k + 1 + j], 0, member(row, it.ix[j], it.pkm)) end
              end
              redis.call('ZADD', pkz, 0, it.pkm)
            end
            total = total + 1
          end
        end
        return { total }
        """;

    /// <summary>One Put into a table without indexes: what <see cref="Write"/> does for that case (an existing row is
    /// replaced whole, the PK entry added), without parsing the batch format or the Add, counter and index steps,
    /// which cost server time on every write. KEYS[1]: the row hash, KEYS[2]: the PK ZSET. ARGV: PK, then at least
    /// one field/value pair. Returns 1, the affected count.</summary>
    public const string Put = """
        redis.call('DEL', KEYS[1])
        redis.call('HSET', KEYS[1], unpack(ARGV, 2))
        redis.call('ZADD', KEYS[2], 0, ARGV[1])
        return 1
        """;

    /// <summary>Reads one range of a PK or index ZSET and the rows it points to, in one atomic step.
    /// KEYS[1]: the ZSET. ARGV: row key prefix, min, max (ZRANGEBYLEX syntax), 1 for descending, limit, 1 when the
    /// members are index members (the PK is cut off their end). Returns member, HGETALL pairs, member, ...</summary>
    public const string Read = """
        local r
        if ARGV[4] == '1' then
          r = redis.call('ZREVRANGEBYLEX', KEYS[1], ARGV[3], ARGV[2], 'LIMIT', 0, tonumber(ARGV[5]))
        else
          r = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[2], ARGV[3], 'LIMIT', 0, tonumber(ARGV[5]))
        end
        local out = {}
        for i, m in ipairs(r) do
          local pk = m
          if ARGV[6] == '1' then
            local n = tonumber(string.sub(m, -6))
            pk = string.sub(m, -6 - n, -7)
          end
          out[#out + 1] = m
          out[#out + 1] = redis.call('HGETALL', ARGV[1] .. pk)
        end
        return out
        """;

    /// <summary>Back-fills one index for a batch of rows. KEYS[1]: the index ZSET. ARGV: row key prefix, column
    /// count, columns, then per row: PK and per column the expected stored value ('1' .. value, or '0' for NULL) and
    /// the order encoding. A row whose values changed since they were read is left alone and its position (1-based)
    /// returned, to be read and done again.</summary>
    public const string Backfill = Common + """

        local prefix, nc = ARGV[1], tonumber(ARGV[2])
        local cols = {}
        for j = 1, nc do cols[j] = ARGV[2 + j] end
        local p = 3 + nc
        local retry = {}
        local idx = 0
        while p <= #ARGV do
          idx = idx + 1
          local pkm = ARGV[p]
          p = p + 1
          local row = prefix .. pkm
          local exists = redis.call('EXISTS', row) == 1
          local ok = exists
          local encs = {}
          for j = 1, nc do
            local exp, enc = ARGV[p], ARGV[p + 1]
            p = p + 2
            local v = redis.call('HGET', row, cols[j])
            if v then
              if exp ~= '1' .. v then ok = false end
            elseif exp ~= '0' then
              ok = false
            end
            encs[j] = enc
          end
          if ok then
            redis.call('ZREM', KEYS[1], member(row, cols, pkm))
            for j = 1, nc do
              if encs[j] == '\1' then redis.call('HDEL', row, '\0e:' .. cols[j]) else redis.call('HSET', row, '\0e:' .. cols[j], encs[j]) end
            end
            redis.call('ZADD', KEYS[1], 0, member(row, cols, pkm))
          elseif exists then
            retry[#retry + 1] = idx
          end
        end
        return retry
        """;
}
