using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Backend.Benchmarks;

// Db facade vs raw client. Usage:
//   dotnet run -c Release --project bench/Db -- --filter '*'             all drivers (about 6 minutes)
//   dotnet run -c Release --project bench/Db -- --filter '*Postgres*'    one driver
//   dotnet run -c Release --project bench/Db -- --paired [Postgres]      raw and facade alternated in short blocks (about 2 minutes)
//   dotnet run -c Release --project bench/Db -- --print-sql              the SQL the drivers generate for the three operations
//   dotnet run -c Release --project bench/Db -- --loop Sqlite FacadeGet 10   one method in a loop for 10 s, for a profiler
//       (e.g. DOTNET_PerfMapEnabled=1 perf record -g -p PID); prints calls/s
// BENCH_DB_JOB=dry runs every benchmark once (a smoke test of setup and verification).
if (args.Contains("--print-sql"))
{
    PrintSql.Run();
    return;
}
if (args.Contains("--loop"))
{
    await Loop.RunAsync(args);
    return;
}
if (args.Contains("--paired"))
{
    await Paired.RunAsync(args);
    return;
}

// In-process: no per-benchmark project generation and build (the repo's Directory.Build.props makes warnings errors
// for generated projects too), and every benchmark of a driver shares one seeded table. Ratios are what matter here.
var job = Environment.GetEnvironmentVariable("BENCH_DB_JOB") == "dry"
    ? Job.Dry
    : Job.Default.WithWarmupCount(3).WithIterationCount(10);
var config = DefaultConfig.Instance
    .AddJob(job.WithToolchain(InProcessEmitToolchain.Instance))
    .AddDiagnoser(MemoryDiagnoser.Default)
    .AddColumn(CategoriesColumn.Default)
    .AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory)
    .WithOrderer(new DefaultOrderer(SummaryOrderPolicy.Declared, MethodOrderPolicy.Declared))
    .WithArtifactsPath(Environment.GetEnvironmentVariable("BENCH_DB_ARTIFACTS") is { Length: > 0 } a ? a : Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"))
    .WithOption(ConfigOptions.StopOnFirstError, true);
BenchmarkSwitcher.FromTypes([typeof(SqliteBench), typeof(PostgresBench), typeof(MySqlBench), typeof(RedisBench), typeof(DynamoDbBench)]).Run(args, config);
