using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Backend.Bench.Images;

// Choosing the imaging library (issue 14, point 4): one upload (decode, auto-orient, strip, fit in a box, encode) with
// Magick.NET (baseline), NetVips (libvips thumbnail), SkiaSharp (SKCodec scaled decode) and ImageMagick's convert process.
// bench/Images/run.sh runs everything below and writes bench/Images/last-run.md. Inputs are generated on first use into
// BENCH_IMAGES_INPUTS (default bin/.../inputs; not in git).
//   dotnet run -c Release --project bench/Images -- --verify                    outputs checked: size, orientation, metadata stripped (exit 1 on failure)
//   dotnet run -c Release --project bench/Images -- --filter '*'                BenchmarkDotNet, 6 libraries x 5 workloads (about 12 minutes)
//   dotnet run -c Release --project bench/Images -- --throughput [SECONDS] [ROUNDS]   img/s wall and CPU, libraries interleaved (default 3 s, 3 rounds)
//   dotnet run -c Release --project bench/Images -- --memory                    peak RSS growth per image, a fresh process per library and workload
//   dotnet run -c Release --project bench/Images -- --robustness                damaged inputs and a decompression bomb per library
// BENCH_IMAGES_JOB=dry runs every benchmark once (a smoke test).
if (args.Length > 0 && args[0] == "--verify")
    return Verify.Run(args[1..]);
if (args.Length > 0 && args[0] == "--throughput")
{
    double seconds = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 3;
    int rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
    Console.WriteLine(Throughput.Run(seconds, rounds));
    return 0;
}
if (args.Length > 0 && args[0] == "--memory")
{
    Console.WriteLine(Memory.Run());
    return 0;
}
if (args.Length > 2 && args[0] == "--memory-one")
    return Memory.RunOne(args[1], args[2]);
if (args.Length > 0 && args[0] == "--robustness")
{
    Console.WriteLine(Robustness.Run());
    return 0;
}
if (args.Length > 2 && args[0] == "--robustness-one")
    return Robustness.RunOne(args[1], int.Parse(args[2], CultureInfo.InvariantCulture));

// In-process, as bench/Db: the repo's Directory.Build.props makes warnings errors for generated projects too.
Inputs.EnsureGenerated();
var job = Environment.GetEnvironmentVariable("BENCH_IMAGES_JOB") == "dry"
    ? Job.Dry
    : Job.Default.WithWarmupCount(2).WithIterationCount(8);
var config = DefaultConfig.Instance
    .AddJob(job.WithToolchain(InProcessEmitToolchain.Instance))
    .AddDiagnoser(MemoryDiagnoser.Default)
    .WithOrderer(new DefaultOrderer(SummaryOrderPolicy.Declared, MethodOrderPolicy.Declared))
    .WithArtifactsPath(Environment.GetEnvironmentVariable("BENCH_IMAGES_ARTIFACTS") is { Length: > 0 } a ? a : Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"))
    .WithOption(ConfigOptions.StopOnFirstError, true);
BenchmarkSwitcher.FromTypes([typeof(ImageBench)]).Run(args, config);
return 0;
