namespace Backend.Hosting;

/// <summary>The backend home layout: etc/ (config), var/ (database files), tmp/, images/, web/ (static files that
/// override the built-in ones). Created at start-up.</summary>
internal static class BackendHome
{
    /// <summary>Folders every home has.</summary>
    public static IReadOnlyList<string> Folders { get; } = ["etc", "var", "tmp", "images", "web"];

    /// <summary>Creates the home and its folders when missing.</summary>
    public static void Ensure(string home)
    {
        foreach (var f in Folders) Directory.CreateDirectory(Path.Combine(home, f));
    }
}
