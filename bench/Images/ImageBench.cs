using BenchmarkDotNet.Attributes;

namespace Backend.Bench.Images;

/// <summary>
/// One upload processed (decode, auto-orient, strip, fit in the box, encode), per library and workload; Magick.NET is
/// the baseline (Ratio column). Input bytes in memory, output bytes returned (convert: files in a temp dir + a process).
/// </summary>
public class ImageBench
{
    public static IEnumerable<Workload> Workloads => Workload.All;

    [ParamsSource(nameof(Workloads))]
    public Workload W { get; set; } = Workload.All[0];

    private byte[] _input = [];

    [GlobalSetup]
    public void Setup()
    {
        Library.ConfigureAll();
        _input = Inputs.Get(W.InputFile);
    }

    private static readonly Library Magick = Library.Find("Magick.NET");
    private static readonly Library MagickHint = Library.Find("Magick.NET+hint");
    private static readonly Library Vips = Library.Find("NetVips");
    private static readonly Library Skia = Library.Find("SkiaSharp");
    private static readonly Library Convert = Library.Find("convert");
    private static readonly Library ConvertHint = Library.Find("convert+hint");

    [Benchmark(Baseline = true, Description = "Magick.NET")]
    public byte[] MagickNet() => Magick.Process(_input, W);

    [Benchmark(Description = "Magick.NET+hint")]
    public byte[] MagickNetHint() => MagickHint.Process(_input, W);

    [Benchmark(Description = "NetVips")]
    public byte[] NetVips() => Vips.Process(_input, W);

    [Benchmark(Description = "SkiaSharp")]
    public byte[] SkiaSharp() => Skia.Process(_input, W);

    [Benchmark(Description = "convert")]
    public byte[] ConvertProcess() => Convert.Process(_input, W);

    [Benchmark(Description = "convert+hint")]
    public byte[] ConvertProcessHint() => ConvertHint.Process(_input, W);
}
