namespace Backend.Tests.Fuzz;

/// <summary>The fuzzer knows every documented endpoint: docs/api.md and <see cref="FuzzApi.Endpoints"/> list the same
/// paths, so an endpoint added to the docs without teaching the fuzzer fails here.</summary>
public sealed class FuzzCatalogTests
{
    private static string ApiDoc()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "docs", "api.md"))) dir = dir.Parent;
        Assert.NotNull(dir);
        return File.ReadAllText(Path.Combine(dir.FullName, "docs", "api.md"));
    }

    [Fact]
    public void Every_endpoint_of_docs_api_md_is_known_to_the_fuzzer_and_no_other()
    {
        var documented = FuzzApi.DocumentedTemplates(ApiDoc());
        Assert.Contains("/data/search/TABLE", documented);
        Assert.Contains("/account/subscribe", documented);
        Assert.Empty(documented.Except(FuzzApi.Templates).Order(StringComparer.Ordinal));
        Assert.Empty(FuzzApi.Templates.Except(documented).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_new_documented_endpoint_would_be_noticed()
    {
        var doc = ApiDoc() + "\n### /message/forward\nForwards a message.\n";
        Assert.Contains("/message/forward", FuzzApi.DocumentedTemplates(doc).Except(FuzzApi.Templates));
        var op = ApiDoc().Replace("| `del` |", "| `del` |\n| `copy` | the key | `{}` |\n", StringComparison.Ordinal);
        Assert.Contains("/data/copy/TABLE", FuzzApi.DocumentedTemplates(op).Except(FuzzApi.Templates));
    }

    [Fact]
    public void Generated_cases_cover_every_endpoint_and_body_and_signature_kind()
    {
        var pcg = new CsCheck.PCG(1, FuzzSettings.DefaultSeed);
        var cases = Enumerable.Range(0, 20_000).Select(_ => FuzzGen.Case.Generate(pcg, null, out CsCheck.Size _)).ToList();
        var templates = cases.Select(c => Fuzz.FuzzRunner.Template(c.Path)).OfType<string>().ToHashSet(StringComparer.Ordinal);
        Assert.Empty(FuzzApi.Templates.Except(templates));
        Assert.Empty(Enum.GetValues<BodyKind>().Except(cases.Select(c => c.Body)));
        Assert.Empty(Enum.GetValues<SignMode>().Except(cases.Select(c => c.Sign)));
        Assert.Empty(Enum.GetValues<LengthMode>().Except(cases.Select(c => c.Length)));
        Assert.Empty(Enum.GetValues<QueryStyle>().Except(cases.Select(c => c.QueryStyle)));
        // The admin never ends its own account.
        Assert.DoesNotContain(cases, c => c.Caller == FuzzCase.AdminCaller && FuzzApi.EndsAccount(c.Path));
        // Invalid UTF-8 and lone surrogates reach the wire.
        Assert.Contains(cases, c => c.Query.Concat(c.BodyParams).Any(p => p.Value.Any(ch => ch is >= FuzzText.RawByteBase and <= '\uF7FF')));
        Assert.Contains(cases, c => c.Query.Concat(c.BodyParams).Any(p => p.Value.Any(char.IsSurrogate)));
    }

    [Fact]
    public void Generation_is_deterministic_for_a_seed()
    {
        static string Run(ulong seed)
        {
            var pcg = new CsCheck.PCG(1, seed);
            return string.Join("\n", Enumerable.Range(0, 200).Select(_ => FuzzGen.Case.Generate(pcg, null, out CsCheck.Size _).Describe()));
        }
        Assert.Equal(Run(42), Run(42));
        Assert.NotEqual(Run(42), Run(43));
    }
}
