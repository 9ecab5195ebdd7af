namespace Backend.Tests.Server;

/// <summary>Admin accounts (bk_auth.type = admin): only an admin creates accounts with <c>type=admin</c>.</summary>
public sealed class AdminTests(AdminServerFixture fixture) : IClassFixture<AdminServerFixture>
{
    [Fact]
    public async Task Get_shows_type_admin_to_an_admin()
    {
        using var client = fixture.Client(fixture.Admin);
        var r = await client.Get("/account/get");
        ApiAssert.Ok(r);
        Assert.Equal("admin", r.Str("type"));
        Assert.Equal(fixture.Admin.Id, r.Str("id"));
    }

    [Fact]
    public async Task Add_with_type_admin_by_an_admin_creates_an_admin()
    {
        var b = await Accounts.Add(fixture.Server, fixture.Admin, ("type", "admin"));
        Assert.Equal("admin", b.Added!["type"]?.ToString());
        using var client = fixture.Client(b);
        var r = await client.Get("/account/get");
        ApiAssert.Ok(r);
        Assert.Equal("admin", r.Str("type"));

        // b is an admin in bk_auth too: it can make admins itself
        var c = await Accounts.Add(fixture.Server, b, ("type", "admin"));
        Assert.Equal("admin", c.Added!["type"]?.ToString());
    }

    [Theory]
    [InlineData(1, SignatureIn.Header)]
    [InlineData(3, SignatureIn.Query)]
    public async Task A_JSON_add_with_type_admin_by_an_admin_creates_an_admin(int version, SignatureIn where)
    {
        using var client = fixture.Client(fixture.Admin);
        var login = Accounts.UniqueLogin("json-admin");
        var r = await client.PostJson("/account/add", $$"""{"login":"{{login}}","secret":"s1","name":"J","type":"admin"}""", new SignOptions { Version = version, In = where });
        ApiAssert.Ok(r);
        Assert.Equal("admin", r.Str("type"));
    }

    [Fact]
    public async Task Add_with_type_admin_by_a_non_admin_ignores_the_type()
    {
        var normal = await fixture.AddAccount();
        var b = await Accounts.Add(fixture.Server, normal, ("type", "admin"));
        Assert.Null(b.Added!["type"]);

        // and b is not an admin: its own type=admin is ignored too
        var c = await Accounts.Add(fixture.Server, b, ("type", "admin"));
        Assert.Null(c.Added!["type"]);
    }

    [Fact]
    public async Task An_anonymous_add_with_type_admin_ignores_the_type()
    {
        var b = await fixture.AddAccount(("type", "admin"));
        Assert.Null(b.Added!["type"]);
        using var client = fixture.Client(b);
        Assert.Null((await client.Get("/account/get")).Object["type"]);
    }

    [Fact]
    public async Task An_admin_add_with_a_bad_signature_is_anonymous_and_ignores_the_type()
    {
        var b = await Accounts.Add(fixture.Server, fixture.Admin with { Secret = "wrong" }, ("type", "admin"));
        Assert.Null(b.Added!["type"]);
    }

    [Fact]
    public async Task Update_of_type_by_a_non_admin_is_ignored()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Ok(await client.PostForm("/account/update", ("type", "admin"), ("alias", "still normal")));
        var r = await client.Get("/account/get");
        Assert.Null(r.Object["type"]);
        Assert.Equal("still normal", r.Str("alias"));
        var c = await Accounts.Add(fixture.Server, a, ("type", "admin"));
        Assert.Null(c.Added!["type"]);
    }

    [Fact]
    public async Task Select_by_a_private_column_is_allowed_for_an_admin()
    {
        var email = $"{Guid.NewGuid():N}@example.com";
        var a = await fixture.AddAccount(("email", email));
        using var client = fixture.Client(fixture.Admin);
        var r = await client.Get("/account/select", ("email", email));
        ApiAssert.Ok(r);
        var row = Assert.Single(r.Data);
        Assert.Equal(a.Id, row!["id"]?.ToString());
    }
}
