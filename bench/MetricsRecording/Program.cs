using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Backend.Bench.MetricsRecording;

// What recording costs with the statistics on and off (issue 13, point 7; bench/metrics/run.sh measures a real server).
//   dotnet run -c Release --project bench/MetricsRecording -- --filter '*'             StatBench and RequestBench (about 7 minutes)
//   dotnet run -c Release --project bench/MetricsRecording -- --filter '*RequestBench*'
//   dotnet run -c Release --project bench/MetricsRecording -- --contended [SECONDS]    CPU per call of RequestBench on 1 thread and on every core (about 1 minute)
// BENCH_METRICS_JOB=dry runs every benchmark once (a smoke test).
if (args.Contains("--contended"))
{
    Contended.Run(args);
    return;
}

// In-process, as bench/Db: the repo's Directory.Build.props makes warnings errors for generated projects too.
var job = Environment.GetEnvironmentVariable("BENCH_METRICS_JOB") == "dry"
    ? Job.Dry
    : Job.Default.WithWarmupCount(3).WithIterationCount(10);
var config = DefaultConfig.Instance
    .AddJob(job.WithToolchain(InProcessEmitToolchain.Instance))
    .AddDiagnoser(MemoryDiagnoser.Default)
    .WithOrderer(new DefaultOrderer(SummaryOrderPolicy.Declared, MethodOrderPolicy.Declared))
    .WithArtifactsPath(Environment.GetEnvironmentVariable("BENCH_METRICS_ARTIFACTS") is { Length: > 0 } a ? a : Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"))
    .WithOption(ConfigOptions.StopOnFirstError, true);
BenchmarkSwitcher.FromTypes([typeof(StatBench), typeof(RequestBench)]).Run(args, config);
