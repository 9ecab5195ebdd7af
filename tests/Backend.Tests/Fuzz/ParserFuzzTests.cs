using System.Text;
using Backend.Api;
using Backend.Api.Data;
using Backend.Api.Messages;
using Backend.Data;
using Backend.Http;
using Backend.Security;
using CsCheck;
using Microsoft.AspNetCore.Http;

namespace Backend.Tests.Fuzz;

/// <summary>The parsers driven in-process, much faster than over HTTP: the body reader, the signature header, the
/// query sorter of the string to sign, paging tokens, value conversion, the API options, <c>_query</c> and base64
/// images. Each may only accept its input or refuse it with a 400 (<see cref="ApiException"/> or
/// <see cref="DbException"/> with status 400); anything else would reach a client as a 500. 20,000 inputs each in
/// the normal run, 1,000,000 in the long mode.</summary>
public sealed class ParserFuzzTests
{
    private static readonly FuzzSettings Settings = FuzzSettings.FromEnvironment("sqlite");

    private static async Task Run<T>(string name, Gen<T> gen, Func<T, Task<string?>> check, Func<T, string> describe)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (failures, failed) = await FuzzDriver.RunAsync(gen, check, describe, Settings.Inputs, Settings.Seed, Environment.ProcessorCount, null,
            TestContext.Current.CancellationToken);
        var line = $"{name}: {Settings.Inputs:N0} inputs, {failed:N0} failed, {clock.Elapsed.TotalSeconds:F1} s";
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        if (Settings.Long) FuzzReport.Write($"parser-{name}-long.txt", line + "\n");
        if (failed == 0) return;
        var shrunk = await FuzzDriver.ShrinkAsync(gen, check, describe, failures[0].Seed, 10_000, Environment.ProcessorCount);
        Assert.Fail(line + "\n" + FuzzDriver.Report(failures, failed, shrunk));
    }

    private static Task<string?> Sync(Func<string?> f) => Task.FromResult(f());

    /// <summary>Null when the action passed or refused the input with a 400; otherwise what it threw.</summary>
    private static string? Only400(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (ApiException ex) when (ex.Status is >= 400 and < 500)
        {
            return string.IsNullOrWhiteSpace(ex.Message) ? "a 4xx without a message" : null;
        }
        catch (DbException ex) when (ex.Status == 400)
        {
            return string.IsNullOrWhiteSpace(ex.Message) ? "a 400 without a message" : null;
        }
        catch (Exception ex)
        {
            return $"{ex.GetType().Name}: {ex.Message}";
        }
    }

    private static readonly Gen<string> AnyText = Gen.Frequency(
        (4, FuzzGen.ShortText), (2, Gen.OneOf(FuzzGen.Hostile)), (1, FuzzGen.LongText.Select(s => s[..Math.Min(s.Length, 5000)])),
        (1, Gen.Char.Array[0, 40].Select(a => new string(a))));

    private static readonly Gen<(string Type, byte[] Body, string Method)> Bodies =
        from kind in Gen.Int[0, 5]
        from parameters in FuzzGen.ParamsFor([.. FuzzApi.ColumnNames, .. FuzzApi.CommonOptions])
        from text in Gen.Frequency((2, FuzzGen.JsonText), (1, FuzzGen.ShortText), (1, Gen.Byte.Array[0, 300].Select(b => FuzzText.FromBytes(b))))
        from variant in Gen.Int[0, 1000]
        from type in Gen.Frequency((6, Gen.Const((string?)null)), (1, FuzzGen.ContentType.Select(s => (string?)s)))
        from method in Gen.Frequency((8, Gen.Const("POST")), (1, Gen.OneOf("GET", "PUT", "HEAD")))
        let c = new FuzzCase
        {
            Method = method,
            Body = kind switch { 0 => BodyKind.Form, 1 => BodyKind.Json, 2 => BodyKind.JsonText, 3 => BodyKind.Multipart, 4 => BodyKind.Raw, _ => BodyKind.None },
            BodyParams = parameters,
            BodyText = text,
            Variant = variant,
            ContentType = type,
        }
        let wire = c.Build(new FuzzContext("h", [.. Enumerable.Repeat(new Backend.Tests.Server.TestAccount("l", "s", "i"), 5)]))
        let split = wire.Bytes.AsSpan().IndexOf("\r\n\r\n"u8)
        select (ContentTypeOf(Encoding.Latin1.GetString(wire.Bytes, 0, split)), wire.Bytes[(split + 4)..], method);

    private static string ContentTypeOf(string head) =>
        head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Type: ", StringComparison.Ordinal))?["Content-Type: ".Length..] ?? "";

    [Fact]
    public Task Request_bodies_are_read_or_refused_with_400() => Run("body", Bodies, async input =>
    {
        var context = new DefaultHttpContext();
        context.Request.Method = input.Method;
        context.Request.ContentType = input.Type.Length == 0 ? null : input.Type;
        context.Request.ContentLength = input.Body.Length;
        context.Request.Body = new MemoryStream(input.Body);
        try
        {
            // Both ways of reading multipart: whole (its checksum to be checked) and streamed; the body length decides.
            var parsed = await RequestBody.ReadAsync(context.Request, keepMultipart: input.Body.Length % 2 == 0, CancellationToken.None);
            // Every parameter the body reader lets through is valid text: later readers cannot fail on it.
            foreach (var (k, v) in parsed.Params)
            {
                if (!IsText(k) || !IsText(v)) return $"a parameter that is not valid UTF-16 passed: {FuzzText.CSharpString(k)}";
            }
            return null;
        }
        catch (ApiException ex) when (ex.Status == 400)
        {
            return null;
        }
        catch (Exception ex)
        {
            return $"{ex.GetType().Name}: {ex.Message}";
        }
    }, b => $"{b.Method} {FuzzText.CSharpString(b.Type)} {FuzzText.CSharpBytes(b.Body)}");

    private static bool IsText(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
            else if (char.IsSurrogate(s[i])) return false;
        }
        return true;
    }

    private static readonly Gen<string> Signatures = Gen.Frequency(
        (3, Gen.Select(Gen.Int[0, 6], AnyText, (field, value) =>
        {
            var fields = "1||login|c2lnbmF0dXJl|4102444800000||".Split('|');
            fields[field] = value;
            return string.Join('|', fields);
        })),
        (1, AnyText),
        (1, Gen.OneOf(AnyText, Gen.Const("|")).Array[0, 12].Select(a => string.Concat(a))));

    [Fact]
    public Task Signature_headers_parse_or_are_refused_and_round_trip() => Run("signature", Signatures, s => Sync(() =>
    {
        try
        {
            if (!SignatureHeader.TryParse(s, out var h)) return null;
            if (h.Login.Length == 0 || h.Signature.Length == 0 || h.Expires <= 0) return "accepted a header without login, signature or expires";
            return SignatureHeader.TryParse(h.Format(), out var again) && again == h ? null : "Format does not parse back to the same header";
        }
        catch (Exception ex)
        {
            return $"{ex.GetType().Name}: {ex.Message}";
        }
    }), FuzzText.CSharpString);

    [Fact]
    public Task Query_sorting_and_the_string_to_sign_never_fail() => Run("query", Gen.Select(AnyText.Array[0, 80], Gen.OneOf("GET", "POST", "", "g\u00e9t"), (items, method) => (string.Join('&', items), method)), input => Sync(() =>
    {
        try
        {
            var sorted = RequestSignature.SortQuery(input.Item1);
            var expected = input.Item1.Split('&').Where(i => i.Length > 0 && !i.StartsWith("bk-signature", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
            if (sorted != string.Join('&', expected)) return $"sorted to {FuzzText.CSharpString(sorted)}";
            var request = SigningRequest.From(input.Item2, "Host:1", "/p", input.Item1, input.Item2.Length > 1 ? "application/x-www-form-urlencoded" : null, input.Item1, "");
            var header = RequestSignature.CreateHeader(3, "l", "s", request, 4102444800000);
            return SignatureHeader.TryParse(header, out var h) && RequestSignature.Verify(h, "s", request) ? null : "a signature it made does not verify";
        }
        catch (Exception ex)
        {
            return $"{ex.GetType().Name}: {ex.Message}";
        }
    }), i => $"{FuzzText.CSharpString(i.Item1)} {i.Item2}");

    private static readonly TableSchema[] Tables = [.. FuzzApi.Tables.All];

    [Fact]
    public Task Paging_tokens_decode_or_are_refused_with_400() => Run("token", Gen.Select(FuzzGen.Token, Gen.Int[0, Tables.Length - 1], Gen.Int[0, 3]), input => Sync(() =>
        Only400(() =>
        {
            var table = Tables[input.Item2];
            var columns = table.KeyColumns.Take(1 + input.Item3 % table.KeyColumns.Length).Concat(table.Columns.Take(input.Item3)).ToList();
            var text = new FuzzContext("h", [.. Enumerable.Repeat(new Backend.Tests.Server.TestAccount("l", "s", "i"), 5)]).Fill(input.Item1);
            PagingToken.Decode(Encoding.UTF8.GetString(FuzzText.ToBytes(text)), columns);
        })), i => $"{FuzzText.CSharpString(i.Item1)} table {Tables[i.Item2].Name} {i.Item3}");

    private static readonly ColumnSchema[] Columns = [.. Tables.SelectMany(t => t.Columns)];

    [Fact]
    public Task Values_convert_or_are_refused_with_400() => Run("values", Gen.Select(Gen.Int[0, Columns.Length - 1], Gen.Frequency((3, AnyText), (2, FuzzGen.Number), (1, FuzzGen.JsonText))), input => Sync(() =>
        Only400(() =>
        {
            var column = Columns[input.Item1];
            var value = Encoding.UTF8.GetString(FuzzText.ToBytes(input.Item2));
            var converted = DbValues.Convert(column, value);
            // Canonical values only reach the drivers.
            if (converted is not (null or string or long or double or bool or System.Text.Json.Nodes.JsonNode)) throw new InvalidOperationException($"converted to {converted.GetType()}");
            if (converted is double d && !double.IsFinite(d)) throw new InvalidOperationException("a non-finite double");
        })), i => $"{Columns[i.Item1].Name}: {FuzzText.CSharpString(i.Item2)}");

    private static readonly Gen<FuzzParam[]> OptionParams = FuzzGen.ParamsFor([.. FuzzApi.CommonOptions, .. FuzzApi.Flags, "_query", .. FuzzApi.ColumnNames]);

    private static ApiRequest Api(FuzzParam[] parameters)
    {
        var dict = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in parameters) dict[p.Name] = Encoding.UTF8.GetString(FuzzText.ToBytes(p.Value));
        return new ApiRequest(dict, null);
    }

    [Fact]
    public Task Api_options_parse_or_are_refused_with_400() => Run("options", Gen.Select(OptionParams, Gen.Int[0, Tables.Length - 1]), input => Sync(() =>
        Only400(() =>
        {
            var table = Tables[input.Item2];
            var options = ApiOptions.Parse(Api(input.Item1), table);
            // What the facade does with them before any driver runs.
            new Db(FuzzApi.Tables, new DbPools("none")).Prepare(DbOperation.Select, table.Name, Api(input.Item1).Columns(), options);
        })), i => string.Join(", ", i.Item1.Select(p => $"{p.Name}={FuzzText.CSharpString(p.Value)}")) + $" on {Tables[i.Item2].Name}");

    [Fact]
    public Task Search_queries_are_built_or_refused_with_4xx() => Run("search", Gen.Select(OptionParams, Gen.Int[0, Tables.Length - 1], Gen.Bool), input => Sync(() =>
        Only400(() => DataSearchQuery.Build(Api(input.Item1), Tables[input.Item2], FuzzApi.Tables, input.Item3))), i => string.Join(", ", i.Item1.Select(p => $"{p.Name}={FuzzText.CSharpString(p.Value)}")));

    [Fact]
    public Task Base64_images_decode_or_are_refused_with_4xx() => Run("image", FuzzGen.Icon, icon => Sync(() =>
        Only400(() => MessageImage.FromBase64(Encoding.UTF8.GetString(FuzzText.ToBytes(icon))))), FuzzText.CSharpString);
}
