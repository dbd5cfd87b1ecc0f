using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lifeboat.Agent.Http;

/// <summary>
/// <c>GET /api/plans</c> and <c>POST /api/plans/NAME/run</c>, each with <c>Authorization: Bearer TOKEN</c> (the token of
/// the agent's state file): 401 without it, 404 for an unknown plan, 400 for a body that is not a run request.
/// Plain request delegates and source-generated JSON (Native AOT).
/// </summary>
internal static class AgentApiRoutes
{
    /// <summary>The largest request body taken (a run request is a few hundred bytes).</summary>
    private const int MaxBody = 64 * 1024;

    public static void Map(IEndpointRouteBuilder app, IAgentApi api)
    {
        app.MapGet("/api/plans", (RequestDelegate)(context => Authorized(context, api)
            ? JsonAsync(context, 200, api.Plans(), AgentJson.Readable.PlansView)
            : UnauthorizedAsync(context)));
        app.MapPost("/api/plans/{name}/run", (RequestDelegate)(async context =>
        {
            if (!Authorized(context, api))
            {
                await UnauthorizedAsync(context);
                return;
            }

            var name = (string)context.Request.RouteValues["name"]!;
            RunRequest? request;
            try
            {
                request = context.Request.ContentLength is 0 or null && !context.Request.Headers.ContentType.Any()
                    ? new RunRequest(null, null, null, false)
                    : await ReadAsync(context);
            }
            catch (JsonException e)
            {
                await JsonAsync(context, 400, new ApiError($"the body is not a run request: {e.Message}"), AgentJson.Readable.ApiError);
                return;
            }

            if (request is null)
            {
                await JsonAsync(context, 400, new ApiError("the body is not a run request"), AgentJson.Readable.ApiError);
                return;
            }

            try
            {
                var answer = await api.RunAsync(name, request, context.RequestAborted);
                await JsonAsync(context, answer.Result == "queued" ? 202 : 200, answer, AgentJson.Readable.RunAnswer);
            }
            catch (KeyNotFoundException e)
            {
                await JsonAsync(context, 404, new ApiError(e.Message), AgentJson.Readable.ApiError);
            }
        }));
    }

    private static async Task<RunRequest?> ReadAsync(HttpContext context)
    {
        if (context.Request.ContentLength > MaxBody)
        {
            throw new JsonException($"larger than {MaxBody} bytes");
        }

        return await JsonSerializer.DeserializeAsync(context.Request.Body, AgentJson.Readable.RunRequest, context.RequestAborted);
    }

    private static bool Authorized(HttpContext context, IAgentApi api)
    {
        var header = context.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.Ordinal))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()), Encoding.UTF8.GetBytes(api.Token));
    }

    private static Task UnauthorizedAsync(HttpContext context)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return JsonAsync(context, 401, new ApiError("the API needs 'Authorization: Bearer TOKEN': the token is in the agent's state file beside its journal (JOURNAL.agent.json, readable by the agent's user only)"), AgentJson.Readable.ApiError);
    }

    private static async Task JsonAsync<T>(HttpContext context, int status, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await JsonSerializer.SerializeAsync(context.Response.Body, value, type, context.RequestAborted);
    }
}
