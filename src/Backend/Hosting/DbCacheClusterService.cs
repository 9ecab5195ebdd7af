using Backend.Cache;
using Backend.Data;
using Microsoft.Extensions.Hosting;

namespace Backend.Hosting;

/// <summary>Starts listening for other processes' invalidations of the database read cache when the host starts
/// (registered only when <c>-cache-type</c> or <c>-msg-type</c> is not local). A broker that is down does not stop the
/// start: the cluster keeps trying in the background.</summary>
internal sealed class DbCacheClusterService(Db db, DbCacheCluster cluster) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => cluster.StartAsync(db.Cache, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
