using Backend.Data;
using Microsoft.Extensions.Hosting;

namespace Backend.Hosting;

/// <summary>Creates or upgrades every described table in every pool when the host starts, before the server listens
/// (<see cref="IHostedLifecycleService.StartingAsync"/> runs before any hosted service's start, Kestrel's included). So
/// tables exist however the host is started: <see cref="BackendApplication.RunAsync"/>, <c>app.Web.RunAsync()</c>, or a
/// test's <c>WebApplicationFactory</c>. A database that cannot be reached stops the start with its error.</summary>
internal sealed class DbInitService(Db db) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => db.InitAsync(cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
