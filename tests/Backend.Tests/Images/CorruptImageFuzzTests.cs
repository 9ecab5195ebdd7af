using System.Diagnostics;
using Backend.Images;

namespace Backend.Tests.Images;

/// <summary>Damaged images: bit flips and truncations of valid JPEG (with EXIF), PNG (RGBA), GIF and WebP inputs. Each
/// must be processed or refused with an <see cref="ImageException"/>; never another exception, never a hang (a time
/// limit per case), and the process's memory stays bounded.</summary>
// Alone, after the parallel tests: the RSS bound is about this process, and servers hosted in it by other tests
// would count in it.
[Collection(nameof(Backend.Tests.Runtime.ProcessRuntimeCollection))]
public sealed class CorruptImageFuzzTests
{
    /// <summary>Cases in all (a quarter per format): about 15-30 s on 2 shared cores.</summary>
    private const int Cases = 3000;

    /// <summary>Largest RSS growth accepted over the run, after a warm-up of 200 cases: libvips's worker threads keep
    /// glibc malloc arenas (docs/images.md, MALLOC_ARENA_MAX), which is growth that stops, not a leak.</summary>
    private const long MaxRssGrowth = 256L << 20;

    private static readonly TimeSpan PerCase = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Damaged_images_are_processed_or_refused_with_an_image_exception()
    {
        var ct = TestContext.Current.CancellationToken;
        var processor = TestImages.Processor(new ImageOptions { MaxPixels = 4_000_000, MaxSide = 4000, Concurrency = 2 });
        byte[][] seeds =
        [
            TestImages.Photo(96, 64, 6, "jpg"),
            TestImages.Transparent(80, 60, "png"),
            TestImages.Photo(80, 60, 1, "gif"),
            TestImages.Photo(80, 60, 1, "webp"),
        ];
        foreach (var seed in seeds) await processor.ProcessAsync(seed, ImageRequest.AsIs, ct);
        var random = new Random(14);
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        long rssAfterWarmup = 0, peakGrowth = 0;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < Cases; i++)
        {
            if (i == 200) rssAfterWarmup = TestImages.Rss();
            var input = Damage(seeds[i % seeds.Length], random, out var how);
            // Half the cases also scale, so the shrink-on-load and resize paths see damaged input too.
            var request = i % 2 == 0 ? ImageRequest.AsIs : new ImageRequest { Width = 32, Height = 32, Format = i % 4 == 1 ? "png" : null };
            string outcome;
            try
            {
                var output = await processor.ProcessAsync(input, request, ct).WaitAsync(PerCase, ct);
                Assert.NotEmpty(output.Data);
                outcome = "ok";
            }
            catch (ImageException ex)
            {
                outcome = ex.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (TimeoutException)
            {
                Assert.Fail($"case {i} ({how}, format {i % seeds.Length}) took more than {PerCase}");
                return;
            }
            catch (Exception ex)
            {
                Assert.Fail($"case {i} ({how}, format {i % seeds.Length}) threw {ex.GetType().Name}: {ex.Message}");
                return;
            }
            var key = $"{i % seeds.Length}:{outcome}";
            outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
            if (i >= 200 && i % 100 == 0) peakGrowth = Math.Max(peakGrowth, TestImages.Rss() - rssAfterWarmup);
        }
        peakGrowth = Math.Max(peakGrowth, TestImages.Rss() - rssAfterWarmup);
        TestContext.Current.TestOutputHelper?.WriteLine($"{Cases} cases in {watch.Elapsed.TotalSeconds:F1} s, RSS growth {peakGrowth >> 20} MiB; "
            + string.Join(", ", outcomes.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")));
        Assert.True(peakGrowth < MaxRssGrowth, $"RSS grew by {peakGrowth >> 20} MiB");
        // Both outcomes occur: damage that decoders shrug off and damage they refuse.
        Assert.Contains(outcomes.Keys, k => k.EndsWith(":ok", StringComparison.Ordinal));
        Assert.Contains(outcomes.Keys, k => k.EndsWith(":400", StringComparison.Ordinal));
    }

    /// <summary>A copy of <paramref name="seed"/> truncated, with 1-8 bits flipped, or both (the magic bytes are kept
    /// in most cases so the decoders, not the sniffing, see the damage).</summary>
    private static byte[] Damage(byte[] seed, Random random, out string how)
    {
        var kind = random.Next(3);
        var bytes = kind is 0 or 2 ? seed[..random.Next(1, seed.Length)] : (byte[])seed.Clone();
        var flips = kind is 1 or 2 ? random.Next(1, 9) : 0;
        var from = random.Next(10) == 0 ? 0 : Math.Min(12, bytes.Length - 1);
        for (var f = 0; f < flips; f++)
        {
            var at = random.Next(from, bytes.Length);
            bytes[at] ^= (byte)(1 << random.Next(8));
        }
        how = kind switch { 0 => $"truncated to {bytes.Length}", 1 => $"{flips} bits flipped", _ => $"truncated to {bytes.Length}, {flips} bits flipped" };
        return bytes;
    }
}
