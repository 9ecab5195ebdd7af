using Backend.Files;
using Backend.Hosting;
using Backend.S3;
using Microsoft.Extensions.DependencyInjection;

namespace Backend.Tests.Files;

/// <summary>The core's two stores (<see cref="FileStores"/>): local by default on <c>-images-dir</c> and
/// <c>-files-dir</c>, the keyed images store one with the unkeyed one whichever of the two was replaced, and the S3
/// stores of <c>AddS3()</c> (registered before <c>Build()</c>) winning over the defaults.</summary>
public sealed class FileStoresTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("bkcs-stores-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private BackendApplicationBuilder Builder(params string[] args) =>
        BackendApplicationBuilder.CreateBuilder(["-home", _home, "-log", "none", .. args]);

    [Fact]
    public async Task By_default_both_stores_are_local_under_the_home()
    {
        await using var app = Builder().Build();
        var images = Assert.IsType<LocalFileStore>(app.Services.GetRequiredService<IFileStore>());
        Assert.Same(images, app.Services.GetRequiredKeyedService<IFileStore>(FileStores.Images));
        Assert.Equal(Path.Combine(_home, "images"), images.Root);
        var files = Assert.IsType<LocalFileStore>(app.Services.GetRequiredKeyedService<IFileStore>(FileStores.Files));
        Assert.Equal(Path.Combine(_home, "files"), files.Root);
        // Building the stores touches no disk.
        Assert.False(Directory.Exists(files.Root));
    }

    [Fact]
    public async Task Files_dir_is_resolved_against_the_home()
    {
        await using var app = Builder("-files-dir", "var/uploads").Build();
        var files = Assert.IsType<LocalFileStore>(app.Services.GetRequiredKeyedService<IFileStore>(FileStores.Files));
        Assert.Equal(Path.Combine(_home, "var", "uploads"), files.Root);
    }

    [Fact]
    public async Task An_apps_unkeyed_store_is_the_keyed_images_store_too()
    {
        var builder = Builder();
        var mine = new LocalFileStore(Path.Combine(_home, "mine"));
        builder.Services.AddSingleton<IFileStore>(mine);
        await using var app = builder.Build();
        Assert.Same(mine, app.Services.GetRequiredService<IFileStore>());
        Assert.Same(mine, app.Services.GetRequiredKeyedService<IFileStore>(FileStores.Images));
        Assert.NotSame(mine, app.Services.GetRequiredKeyedService<IFileStore>(FileStores.Files));
    }

    [Fact]
    public async Task An_apps_keyed_images_store_is_the_unkeyed_store_too()
    {
        var builder = Builder();
        var mine = new LocalFileStore(Path.Combine(_home, "mine"));
        builder.Services.AddKeyedSingleton<IFileStore>(FileStores.Images, mine);
        await using var app = builder.Build();
        Assert.Same(mine, app.Services.GetRequiredService<IFileStore>());
        Assert.Same(mine, app.Services.GetRequiredKeyedService<IFileStore>(FileStores.Images));
    }

    [Fact]
    public async Task AddS3_before_Build_wins_over_the_core_defaults()
    {
        const string options = """{"endpoint":"http://127.0.0.1:1","key":"a","secret":"b"}""";
        var builder = Builder("-api-images-s3", "imgs", "-api-files-s3", "docs", "-api-images-s3-options", options).AddS3();
        await using var app = builder.Build();
        var images = Assert.IsType<S3FileStore>(app.Services.GetRequiredService<IFileStore>());
        Assert.Equal("imgs", images.Bucket);
        Assert.Same(images, app.Services.GetRequiredKeyedService<IFileStore>(FileStores.Images));
        Assert.Equal("docs", Assert.IsType<S3FileStore>(app.Services.GetRequiredKeyedService<IFileStore>(FileStores.Files)).Bucket);
        Assert.Equal(FileStores.Images, S3BuilderExtensions.ImagesKey);
        Assert.Equal(FileStores.Files, S3BuilderExtensions.FilesKey);
    }

    [Fact]
    public async Task AddS3_with_only_a_files_bucket_keeps_the_local_images_store()
    {
        const string options = """{"endpoint":"http://127.0.0.1:1","key":"a","secret":"b"}""";
        await using var app = Builder("-api-files-s3", "docs", "-api-images-s3-options", options).AddS3().Build();
        Assert.IsType<LocalFileStore>(app.Services.GetRequiredService<IFileStore>());
        Assert.Same(app.Services.GetRequiredService<IFileStore>(), app.Services.GetRequiredKeyedService<IFileStore>(FileStores.Images));
        Assert.IsType<S3FileStore>(app.Services.GetRequiredKeyedService<IFileStore>(FileStores.Files));
    }

    [Fact]
    public async Task Local_GetInfoAsync_gives_size_and_write_time()
    {
        var store = new LocalFileStore(Path.Combine(_home, "info"));
        Assert.Null(await store.GetInfoAsync("a/b.txt", TestContext.Current.CancellationToken));
        await store.PutAsync("a/b.txt", new byte[] { 1, 2, 3 }, TestContext.Current.CancellationToken);
        var info = await store.GetInfoAsync("a/b.txt", TestContext.Current.CancellationToken);
        Assert.NotNull(info);
        Assert.Equal(3, info.Length);
        Assert.Equal("a/b.txt", info.Path);
        Assert.True(Math.Abs((DateTimeOffset.UtcNow - info.LastModified).TotalMinutes) < 5);
        Assert.Throws<ArgumentException>(() => { _ = store.GetInfoAsync("../x", TestContext.Current.CancellationToken); });
    }
}
