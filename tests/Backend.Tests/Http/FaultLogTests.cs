using Backend.Http;
using Microsoft.Extensions.Time.Testing;

namespace Backend.Tests.Http;

/// <summary>Faults are logged in full at most <see cref="FaultLog.MaxPerWindow"/> times a minute; the rest are
/// counted into one summary line; paths are made safe for one log line.</summary>
public sealed class FaultLogTests
{
    [Fact]
    public void At_most_the_window_limit_is_logged_then_one_summary()
    {
        var time = new FakeTimeProvider();
        var log = new FaultLog(time);
        var logged = Enumerable.Range(0, 1000).Count(i => log.TryLog($"fault {i}", out var s) && s is null);
        Assert.Equal(FaultLog.MaxPerWindow, logged);
        time.Advance(FaultLog.Window);
        Assert.True(log.TryLog("next", out var summary));
        Assert.NotNull(summary);
        Assert.Contains("990 more faults", summary, StringComparison.Ordinal);
        Assert.Contains("fault 999", summary, StringComparison.Ordinal);
        Assert.True(log.TryLog("again", out var none));
        Assert.Null(none);
    }

    [Fact]
    public void Paths_are_cut_and_control_characters_escaped()
    {
        Assert.Equal("/", FaultLog.SafePath(null));
        Assert.Equal("/a/b", FaultLog.SafePath("/a/b"));
        Assert.Equal("/a\\u000ainjected", FaultLog.SafePath("/a\ninjected"));
        var cut = FaultLog.SafePath("/" + new string('x', 10_000));
        Assert.True(cut.Length <= FaultLog.MaxPathLength + 3, cut.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.EndsWith("...", cut, StringComparison.Ordinal);
    }
}
