using System.Text.RegularExpressions;
using Backend.Http;
using Microsoft.AspNetCore.Http;

namespace Backend.Auth;

/// <summary>An access check or pre-process hook: gets the status so far (null before the signature check) and
/// returns a new status to decide, or null to leave the decision as it is.</summary>
public delegate ValueTask<ApiStatus?> ApiCheck(HttpContext context, ApiStatus? status);

/// <summary>A post-process hook: gets the data about to be sent and returns what to send instead (or the same).</summary>
public delegate ValueTask<object?> ApiPostProcess(HttpContext context, object? data);

/// <summary>App hooks around the API (the reference's <c>registerAccessCheck</c>, <c>registerPreProcess</c>,
/// <c>registerPostProcess</c>), each bound to an HTTP method ("" for any) and a path regex.</summary>
public sealed class ApiHooks
{
    private readonly List<Hook<ApiCheck>> _access = [];
    private readonly List<Hook<ApiCheck>> _pre = [];
    private readonly List<Hook<ApiPostProcess>> _post = [];

    /// <summary>Runs before the signature check; a returned 200 lets the request in without a signature, another
    /// status answers with it, null continues to the signature check.</summary>
    public ApiHooks AccessCheck(string method, string pathPattern, ApiCheck check) => Add(_access, method, pathPattern, check);

    /// <summary>Runs after the signature check with its status (200 on success); may change it.</summary>
    public ApiHooks PreProcess(string method, string pathPattern, ApiCheck check) => Add(_pre, method, pathPattern, check);

    /// <summary>Runs on the data of built-in API replies before they are sent.</summary>
    public ApiHooks PostProcess(string method, string pathPattern, ApiPostProcess hook) => Add(_post, method, pathPattern, hook);

    internal bool HasAccessChecks => _access.Count > 0;

    internal bool HasPreProcess => _pre.Count > 0;

    internal static async ValueTask<ApiStatus?> RunChecks(IReadOnlyList<Hook<ApiCheck>> hooks, HttpContext context, ApiStatus? status, bool stopOnDecision)
    {
        foreach (var h in hooks)
        {
            if (!h.Matches(context.Request)) continue;
            var result = await h.Handler(context, status);
            if (result is null) continue;
            status = result;
            if (stopOnDecision) break;
        }
        return status;
    }

    internal ValueTask<ApiStatus?> RunAccess(HttpContext context) => RunChecks(_access, context, null, stopOnDecision: true);

    internal ValueTask<ApiStatus?> RunPre(HttpContext context, ApiStatus status) => RunChecks(_pre, context, status, stopOnDecision: false);

    /// <summary>Applies the matching post-process hooks to reply data.</summary>
    public async ValueTask<object?> RunPost(HttpContext context, object? data)
    {
        ArgumentNullException.ThrowIfNull(context);
        foreach (var h in _post)
            if (h.Matches(context.Request)) data = await h.Handler(context, data);
        return data;
    }

    private ApiHooks Add<T>(List<Hook<T>> list, string method, string pattern, T handler)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        lock (list) list.Add(new Hook<T>(method ?? "", new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant), handler));
        return this;
    }

    internal sealed record Hook<T>(string Method, Regex Path, T Handler)
    {
        public bool Matches(HttpRequest request) =>
            (Method.Length == 0 || string.Equals(Method, request.Method, StringComparison.OrdinalIgnoreCase)) && Path.IsMatch(request.Path.Value ?? "/");
    }
}
