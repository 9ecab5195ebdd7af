using Backend.Data;
using Backend.Lmdb;

namespace Backend.Tests.Conformance;

/// <summary>The embedded LMDB environment, a directory in the target's temporary home (no server). Every test opens
/// its own tables, each one named database plus one per index, so the environment allows many of them.</summary>
public sealed class LmdbTarget : DbTarget
{
    /// <inheritdoc />
    public override string Pool => "lmdb";

    /// <inheritdoc />
    protected override IDbDriverFactory Factory { get; } = new LmdbDriverFactory();

    /// <inheritdoc />
    protected override string? FindUrl() => Path.Combine(Home, "lmdb") + "?maxdbs=16384&mapsize=2048";
}
