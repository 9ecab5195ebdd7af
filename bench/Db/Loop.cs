using System.Diagnostics;
using System.Globalization;

namespace Backend.Benchmarks;

/// <summary><c>--loop DRIVER METHOD [SECONDS]</c>: one benchmark method called in a loop, nothing else, so a sampling
/// profiler (perf with <c>DOTNET_PerfMapEnabled=1</c>) sees only that path. Prints the process id first (to attach)
/// and the calls per second at the end.</summary>
internal static class Loop
{
    public static async Task RunAsync(string[] args)
    {
        var rest = args.SkipWhile(a => a != "--loop").Skip(1).ToArray();
        DbBenchBase? bench = rest.Length < 2 ? null : rest[0].ToLowerInvariant() switch
        {
            "sqlite" => new SqliteBench(),
            "postgres" or "pgsql" => new PostgresBench(),
            "mysql" => new MySqlBench(),
            "redis" => new RedisBench(),
            "dynamodb" => new DynamoDbBench(),
            _ => null,
        };
        string[] methods = ["RawGet", "FacadeGet", "RawPut", "FacadePut", "RawSelect", "FacadeSelect"];
        var seconds = 10.0;
        if (bench is null || !methods.Contains(rest[1]) || rest.Length > 2 && !(double.TryParse(rest[2], NumberStyles.Float, CultureInfo.InvariantCulture, out seconds) && seconds > 0))
        {
            Console.Error.WriteLine($"usage: --loop Sqlite|Postgres|MySql|Redis|DynamoDb {string.Join('|', methods)} [SECONDS > 0]");
            Environment.ExitCode = 2;
            return;
        }
        var method = typeof(DbBenchBase).GetMethod(rest[1])!;
        await bench.SetupAsync();
        try
        {
            Console.WriteLine($"pid {Environment.ProcessId}: {rest[0]} {rest[1]} for {seconds} s");
            var sw = Stopwatch.StartNew();
            long calls = 0;
            while (sw.Elapsed.TotalSeconds < seconds)
            {
                for (var i = 0; i < 1000; i++)
                {
                    switch (method.Invoke(bench, null))
                    {
                        case Task t: await t; break;
                        case ValueTask<Dictionary<string, object?>?> v: await v; break;
                        case ValueTask<int> v: await v; break;
                        case ValueTask<List<Dictionary<string, object?>>> v: await v; break;
                    }
                }
                calls += 1000;
            }
            Console.WriteLine($"{calls / sw.Elapsed.TotalSeconds:F0} calls/s");
        }
        finally
        {
            await bench.CleanupAsync();
        }
    }
}
