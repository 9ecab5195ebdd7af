#nullable enable
using System.Globalization;
using System.Text.Json;
using Backend.Data;
using Backend.Hosting;

namespace Backend.Cli;

/// <summary>The one-shot row commands (the reference's <c>bksh -get</c>, <c>-put</c>, ... flags): <c>bkcs get|put|update|del
/// TABLE col value ...</c> and <c>bkcs select TABLE [col value ...] [-count N] [-start TOKEN]</c>. They build the app
/// with no web server, go through the <see cref="Db"/> facade on the configured pool, and print rows as JSON, one per
/// line (JSON lines: a script can stream them into jq or read them line by line without holding a whole array).
/// Exit codes: 0 done, 1 no such row or a database failure, 2 usage (unknown table or column, missing key, bad value).</summary>
internal static class DataCommands
{
    public static readonly string[] Names = ["get", "put", "update", "del", "select"];

    private static string UsageOf(string command) => command switch
    {
        "select" => "bkcs select TABLE [col value ...] [-count N] [-start TOKEN]",
        _ => $"bkcs {command} TABLE col value [col value ...]",
    };

    public static async Task<int> RunAsync(string[] args, Func<string[], BackendApplicationBuilder> createBuilder, TextWriter stdout, TextWriter stderr)
    {
        var command = args[0];
        var prefix = "bkcs " + command + ": ";
        int? count = null;
        string? start = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            // -count and -start belong to the select, not to the configuration (where they would be unknown parameters).
            if (command == "select" && args[i] is "-count" or "-start")
            {
                if (i + 1 >= args.Length)
                {
                    await stderr.WriteLineAsync($"{prefix}{args[i]} needs a value; usage: {UsageOf(command)}");
                    return 2;
                }
                if (args[i] == "-start")
                {
                    start = args[++i];
                }
                else if (int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
                {
                    count = n;
                }
                else
                {
                    await stderr.WriteLineAsync($"{prefix}-count must be a positive integer, not '{args[i]}'");
                    return 2;
                }
                continue;
            }
            rest.Add(args[i]);
        }

        var builder = createBuilder(QuietByDefault(rest));
        var positional = builder.Config.Arguments;
        if (positional.Count == 0 || positional.Count % 2 != 1 || (command != "select" && positional.Count < 3))
        {
            await stderr.WriteLineAsync($"{prefix}expected a table and column value pairs; usage: {UsageOf(command)}");
            return 2;
        }
        var tableName = positional[0];
        await using var app = builder.Build();
        if (app.Db.Tables.Get(tableName) is not { } table)
        {
            await stderr.WriteLineAsync($"{prefix}unknown table '{tableName}'; tables: {string.Join(", ", app.Db.Tables.All.Select(t => t.Name))}");
            return 2;
        }
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        for (var i = 1; i < positional.Count; i += 2)
        {
            // The facade ignores unknown columns (an API request may carry anything); a script's typo must not turn a
            // select into a full scan or an update into a no-op, so here they are refused.
            if (!table.HasColumn(positional[i]))
            {
                await stderr.WriteLineAsync($"{prefix}unknown column '{positional[i]}' in {table.Name}; columns: {string.Join(", ", table.Columns.Select(c => c.Name))}");
                return 2;
            }
            values[positional[i]] = positional[i + 1];
        }
        if (command is "get" or "del" or "update" && table.PrimaryKeys.FirstOrDefault(k => !values.ContainsKey(k)) is { } missing)
        {
            await stderr.WriteLineAsync($"{prefix}the primary key of {table.Name} is {string.Join(", ", table.PrimaryKeys)}; '{missing}' is missing");
            return 2;
        }

        await app.Db.InitAsync();
        try
        {
            return await RunAsync(command, app.Db, table, values, count, start, stdout, stderr);
        }
        catch (DbException ex)
        {
            await stderr.WriteLineAsync(prefix + ex.Message);
            return ex.Kind == DbErrorKind.BadInput ? 2 : 1;
        }
    }

    private static async Task<int> RunAsync(string command, Db db, TableSchema table, Dictionary<string, object?> values, int? count, string? start,
        TextWriter stdout, TextWriter stderr)
    {
        var prefix = "bkcs " + command + ": ";
        switch (command)
        {
            case "get":
                return await PrintRowAsync(await db.GetAsync(table.Name, values), table, stdout, stderr, prefix);
            case "put":
                await db.PutAsync(table.Name, values);
                // The row as stored (defaults and `now` columns filled), read back by its key.
                return await PrintRowAsync(await db.GetAsync(table.Name, values), table, stdout, stderr, prefix);
            case "update":
                if ((await db.UpdateAsync(table.Name, values)).Affected == 0)
                {
                    await stderr.WriteLineAsync($"{prefix}no row in {table.Name} with {KeyText(table, values)}");
                    return 1;
                }
                return await PrintRowAsync(await db.GetAsync(table.Name, values), table, stdout, stderr, prefix);
            case "del":
                var affected = (await db.DelAsync(table.Name, values)).Affected;
                await stdout.WriteLineAsync(JsonSerializer.Serialize(new { affected }));
                if (affected > 0) return 0;
                await stderr.WriteLineAsync($"{prefix}no row in {table.Name} with {KeyText(table, values)}");
                return 1;
            default:
                var options = new DbOptions { Count = count, Start = start };
                var result = await db.SelectAsync(table.Name, values, options);
                foreach (var row in result.Rows) await stdout.WriteLineAsync(Json(row));
                // stdout stays rows only; the token for the next page goes to stderr, in the form to pass back.
                if (result.NextToken.Length > 0) await stderr.WriteLineAsync($"next: -start {result.NextToken}");
                return 0;
        }
    }

    private static async Task<int> PrintRowAsync(DbRow? row, TableSchema table, TextWriter stdout, TextWriter stderr, string prefix)
    {
        if (row is null)
        {
            await stderr.WriteLineAsync($"{prefix}no row in {table.Name}");
            return 1;
        }
        await stdout.WriteLineAsync(Json(row));
        return 0;
    }

    private static string KeyText(TableSchema table, Dictionary<string, object?> values) =>
        string.Join(", ", table.PrimaryKeys.Select(k => $"{k}={values.GetValueOrDefault(k)}"));

    internal static string Json(object? value) => JsonSerializer.Serialize(value, Backend.Http.JsonReply.Options);

    /// <summary>The console logger writes to stdout, which must carry only JSON here: <c>-log warn</c> unless the
    /// command line says otherwise (placed right after the positional arguments, so a later <c>-log</c> wins).</summary>
    internal static string[] QuietByDefault(IReadOnlyList<string> args)
    {
        var firstParameter = 1;
        while (firstParameter < args.Count && !IsParameter(args[firstParameter])) firstParameter++;
        return [.. args.Take(firstParameter), "-log", "warn", .. args.Skip(firstParameter)];
    }

    private static bool IsParameter(string token) =>
        token.Length > 1 && token[0] == '-' && !double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
}
