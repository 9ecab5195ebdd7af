namespace Backend.Api.Locations;

/// <summary>One account found by a radius search: its distance from the centre in km, rounded to
/// <see cref="LocationSearch.DistanceDecimals"/> decimals (what the reply shows, and the paging order), and its id.</summary>
/// <param name="Distance">Rounded distance in km.</param>
/// <param name="Id">Account id.</param>
internal readonly record struct LocationMatch(double Distance, string Id)
{
    /// <summary>The distance before rounding (0 for a match read back from a paging token).</summary>
    public double Exact { get; init; }

    /// <summary>Closest first, then by id (code point order): a total order, so a keyset token can resume it.</summary>
    public static IComparer<LocationMatch> Order { get; } = Comparer<LocationMatch>.Create(static (a, b) =>
    {
        var c = a.Distance.CompareTo(b.Distance);
        return c != 0 ? c : string.CompareOrdinal(a.Id, b.Id);
    });
}
