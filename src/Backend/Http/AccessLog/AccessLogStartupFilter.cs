using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace Backend.Http.AccessLog;

/// <summary>Puts <see cref="AccessLogMiddleware"/> in front of the whole pipeline, the app's own middleware included,
/// when there is an access log; with none, the pipeline has no trace of it.</summary>
internal sealed class AccessLogStartupFilter(AccessLogQueue queue) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        if (queue.Enabled) app.UseMiddleware<AccessLogMiddleware>(false);
        next(app);
    };
}
