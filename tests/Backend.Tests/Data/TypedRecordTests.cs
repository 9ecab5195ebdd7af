using System.Text.Json.Nodes;
using Backend.Data;
using static Backend.Tests.Data.Schemas;

namespace Backend.Tests.Data;

/// <summary>A record described with attributes (TableRegistry.Add&lt;T&gt;).</summary>
public sealed class UserProfile
{
    [Primary]
    public string Id { get; init; } = "";

    [Pub]
    [Index]
    public string? UserName { get; init; }

    [Pub]
    public int Age { get; init; }

    public long Mtime { get; init; }

    [Index(2)]
    public double Score { get; init; }

    [Index(2)]
    public bool Active { get; init; }

    public List<string>? Tags { get; init; }

    [DbColumn(Hidden = true, Admin = true, Readonly = true)]
    public string? Secret { get; init; }

    [DbColumn(Now = true)]
    public long Ctime { get; init; }

    public long? Visits { get; init; }
}

/// <summary>A composite key whose properties are declared out of key order.</summary>
public sealed class PhotoRecord
{
    [Primary(2)]
    public int Id { get; init; }

    public string? Name { get; init; }

    [Primary(1)]
    public string AlbumId { get; init; } = "";
}

/// <summary>A column renamed with [DbColumn(Name = ...)].</summary>
public sealed class RenamedRecord
{
    [Primary]
    public string Id { get; init; } = "";

    [DbColumn(Name = "mtime")]
    public long ModifiedAt { get; init; }
}

/// <summary>Reading rows of a builder-described table into a positional record.</summary>
public sealed record ItemRecord(string Id, string? Name, int? N, long? Big, double? Score, bool? Flag, JsonNode? Doc, long? Hits);

/// <summary>Typed records: TableRegistry.Add&lt;T&gt; from attributes, writing objects and Get&lt;T&gt;.</summary>
public sealed class TypedRecordTests(TempDirectory dir) : IClassFixture<TempDirectory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void Describe(TableRegistry tables)
    {
        All(tables);
        tables.Add<UserProfile>().Add<PhotoRecord>("photo").Add<RenamedRecord>();
    }

    [Fact]
    public void Add_T_maps_properties_to_snake_case_columns_with_their_attributes()
    {
        var table = new TableRegistry().Add<UserProfile>().Get("user_profile");
        Assert.NotNull(table);
        Assert.Equal(["id", "user_name", "age", "mtime", "score", "active", "tags", "secret", "ctime", "visits"], table.Columns.Select(c => c.Name));
        Assert.Equal(
            [ColumnType.Text, ColumnType.Text, ColumnType.Int, ColumnType.BigInt, ColumnType.Real, ColumnType.Bool, ColumnType.Json, ColumnType.Text, ColumnType.BigInt, ColumnType.BigInt],
            table.Columns.Select(c => c.Type));
        Assert.Equal(["id"], table.PrimaryKeys);
        Assert.Equal(["user_name", "age"], table.Columns.Where(c => c.Pub).Select(c => c.Name));
        Assert.Equal(2, table.Indexes.Count);
        Assert.Equal(["user_name"], table.Indexes[0]);
        Assert.Equal(["score", "active"], table.Indexes[1]);
        var secret = table.Column("secret")!;
        Assert.True(secret.Hidden && secret.Admin && secret.Readonly);
        Assert.False(secret.Pub);
        Assert.True(table.Column("ctime")!.Now);
        Assert.False(table.Column("mtime")!.Now);
    }

    [Fact]
    public void Add_T_orders_a_composite_key_by_the_primary_order()
    {
        var table = new TableRegistry().Add<PhotoRecord>("photo").Get("photo")!;
        Assert.Equal(["album_id", "id"], table.PrimaryKeys);
        Assert.Equal(["id", "name", "album_id"], table.Columns.Select(c => c.Name));
    }

    [Fact]
    public void Add_T_honours_a_column_name_override()
    {
        var table = new TableRegistry().Add<RenamedRecord>().Get("renamed_record")!;
        Assert.Equal(["id", "mtime"], table.Columns.Select(c => c.Name));
    }

    [Fact]
    public async Task Add_T_creates_the_table_and_its_indexes()
    {
        await using var t = await TestDatabase.OpenAsync(dir.NewFile("typed"), Describe);
        Assert.Equal(["id", "user_name", "age", "mtime", "score", "active", "tags", "secret", "ctime", "visits"], TestDatabase.ColumnNames(t.Path, "user_profile"));
        Assert.Equal(
            [.. t.Db.Table("user_profile").Indexes.Select(i => t.Db.Table("user_profile").IndexName(i)).Order(StringComparer.Ordinal)],
            TestDatabase.IndexNames(t.Path, "user_profile").Order(StringComparer.Ordinal));
        Assert.All(TestDatabase.IndexNames(t.Path, "user_profile"), n => Assert.StartsWith("user_profile_", n, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_record_written_as_an_object_reads_back_with_Get_T()
    {
        await using var t = await TestDatabase.OpenAsync(dir.NewFile("typed"), Describe);
        var profile = new UserProfile
        {
            Id = "u1", UserName = "Ünï 😀", Age = 42, Mtime = 1795970688797, Score = 0.1, Active = true,
            Tags = ["a", "b c"], Secret = "s3cr3t", Ctime = 1, Visits = null,
        };
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await t.Db.AddAsync("user_profile", profile, Ct);

        var back = await t.Db.GetAsync<UserProfile>("user_profile", new { Id = "u1" }, Ct);
        Assert.NotNull(back);
        Assert.Equal("u1", back.Id);
        Assert.Equal("Ünï 😀", back.UserName);
        Assert.Equal(42, back.Age);
        Assert.Equal(1795970688797, back.Mtime);
        Assert.Equal(0.1, back.Score);
        Assert.True(back.Active);
        Assert.Equal(["a", "b c"], back.Tags!);
        Assert.Equal("s3cr3t", back.Secret);
        Assert.InRange(back.Ctime, before, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        Assert.Null(back.Visits);

        var row = (await t.Db.GetAsync("user_profile", Row(("id", "u1")), Ct))!;
        Assert.Equal("Ünï 😀", row["user_name"]);
        Assert.Equal(42L, row["age"]);
        Assert.Equal(true, row["active"]);
    }

    [Fact]
    public async Task Get_T_of_a_missing_row_is_null()
    {
        await using var t = await TestDatabase.OpenAsync(dir.NewFile("typed"), Describe);
        Assert.Null(await t.Db.GetAsync<UserProfile>("user_profile", new { id = "nobody" }, Ct));
    }

    [Fact]
    public async Task Get_T_maps_snake_case_columns_of_a_builder_table_to_a_positional_record()
    {
        await using var t = await TestDatabase.OpenAsync(dir.NewFile("typed"), Describe);
        await t.Db.PutAsync(Items, Row(("id", "i"), ("name", "N"), ("n", 3), ("big", long.MaxValue), ("score", 2.5), ("flag", "1"), ("doc", "{\"a\":[1]}"), ("hits", 4)), Ct);
        var item = await t.Db.GetAsync<ItemRecord>(Items, Row(("id", "i")), Ct);
        Assert.NotNull(item);
        Assert.Equal(new ItemRecord("i", "N", 3, long.MaxValue, 2.5, true, null, 4) with { Doc = item.Doc }, item);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("{\"a\":[1]}"), item.Doc));
    }

    [Fact]
    public async Task A_composite_key_record_round_trips()
    {
        await using var t = await TestDatabase.OpenAsync(dir.NewFile("typed"), Describe);
        await t.Db.PutAsync("photo", new PhotoRecord { AlbumId = "al", Id = 7, Name = "sunset" }, Ct);
        var back = await t.Db.GetAsync<PhotoRecord>("photo", new { AlbumId = "al", Id = 7 }, Ct);
        Assert.Equal("sunset", back?.Name);
        Assert.Null(await t.Db.GetAsync<PhotoRecord>("photo", new { AlbumId = "al", Id = 8 }, Ct));
    }

    [Fact]
    public async Task A_renamed_column_round_trips()
    {
        await using var t = await TestDatabase.OpenAsync(dir.NewFile("typed"), Describe);
        await t.Db.PutAsync("renamed_record", new RenamedRecord { Id = "r", ModifiedAt = 1795970688797 }, Ct);
        Assert.Equal(1795970688797L, (await t.Db.GetAsync("renamed_record", Row(("id", "r")), Ct))?["mtime"]);
        Assert.Equal(1795970688797L, (await t.Db.GetAsync<RenamedRecord>("renamed_record", Row(("id", "r")), Ct))?.ModifiedAt);
    }
}

/// <summary>SetProcessRow: registered processors run on rows Get and Select return, unless NoProcessRows.</summary>
public sealed class RowProcessorTests(TempDirectory dir) : IClassFixture<TempDirectory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<TestDatabase> Open()
    {
        var t = await TestDatabase.OpenAsync(dir.NewFile("proc"), All);
        await t.Db.PutAsync(Items, Row(("id", "a"), ("name", "Alpha"), ("n", 1)), Ct);
        await t.Db.PutAsync(Items, Row(("id", "b"), ("name", "Beta"), ("n", 2)), Ct);
        await t.Db.PutAsync(Pairs, Row(("a", "x"), ("b", 1)), Ct);
        return t;
    }

    [Fact]
    public async Task Processors_run_on_get_and_select_in_registration_order()
    {
        await using var t = await Open();
        var calls = 0;
        t.Db.SetProcessRow(Items, (row, options, table) =>
        {
            Interlocked.Increment(ref calls);
            Assert.Equal(Items, table.Name);
            Assert.NotNull(options);
            row["upper"] = row.GetString("name")?.ToUpperInvariant();
        });
        t.Db.SetProcessRow(Items, (row, _, _) => row["second"] = row["upper"] + "!");

        var got = (await t.Db.GetAsync(Items, Row(("id", "a")), Ct))!;
        Assert.Equal("ALPHA", got["upper"]);
        Assert.Equal("ALPHA!", got["second"]);

        var rows = (await t.Db.SelectAsync(Items, null, Ct)).Rows;
        Assert.Equal(["ALPHA!", "BETA!"], rows.Select(r => r["second"]));
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task Processors_can_remove_values()
    {
        await using var t = await Open();
        t.Db.SetProcessRow(Items, (row, _, _) => row.Remove("n"));
        Assert.Equal(Row(("id", "a"), ("name", "Alpha")), await t.Db.GetAsync(Items, Row(("id", "a")), Ct));
    }

    [Fact]
    public async Task NoProcessRows_skips_them()
    {
        await using var t = await Open();
        t.Db.SetProcessRow(Items, (row, _, _) => row["computed"] = true);
        var got = (await t.Db.GetAsync(Items, Row(("id", "a")), new DbOptions { NoProcessRows = true }, Ct))!;
        Assert.False(got.ContainsKey("computed"));
        var rows = (await t.Db.SelectAsync(Items, null, new DbOptions { NoProcessRows = true }, Ct)).Rows;
        Assert.All(rows, r => Assert.False(r.ContainsKey("computed")));
        Assert.True((bool)(await t.Db.GetAsync(Items, Row(("id", "a")), Ct))!["computed"]!);
    }

    [Fact]
    public async Task Processors_apply_only_to_their_table_and_not_to_missing_rows()
    {
        await using var t = await Open();
        var calls = 0;
        t.Db.SetProcessRow(Items, (_, _, _) => calls++);
        Assert.Single((await t.Db.SelectAsync(Pairs, null, Ct)).Rows);
        Assert.Null(await t.Db.GetAsync(Items, Row(("id", "none")), Ct));
        await t.Db.PutAsync(Items, Row(("id", "c")), Ct);
        Assert.Equal(0, calls);
    }

    [Fact]
    public async Task Processors_see_rows_after_paging_and_select()
    {
        await using var t = await Open();
        t.Db.SetProcessRow(Items, (row, _, _) => row["keys"] = string.Join(",", row.Keys));
        var result = await t.Db.SelectAsync(Items, null, new DbOptions { Count = 1, Select = ["name"] }, Ct);
        Assert.Equal(Row(("name", "Alpha"), ("keys", "name")), Assert.Single(result.Rows));
        var next = await t.Db.SelectAsync(Items, null, new DbOptions { Count = 1, Select = ["name"], Start = result.NextToken }, Ct);
        Assert.Equal("Beta", Assert.Single(next.Rows)["name"]);
    }
}
