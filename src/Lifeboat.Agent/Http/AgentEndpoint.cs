using System.Net;
using System.Text;
using Lifeboat.Agent.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lifeboat.Agent.Http;

/// <summary>The agent's health at one moment: healthy when every plan is fresh and nothing fails.</summary>
internal sealed record HealthReport(IReadOnlyList<string> Problems, int Plans)
{
    /// <summary>True when there is no problem.</summary>
    public bool Healthy => Problems.Count == 0;
}

/// <summary>What the endpoint serves; the agent implements it over its journal, schedule and alert state.</summary>
internal interface IAgentView
{
    /// <summary>The figures for <c>/metrics</c>.</summary>
    MetricsSnapshot Metrics();

    /// <summary>The verdict for <c>/healthz</c>.</summary>
    HealthReport Health();

    /// <summary>Whether the agent has loaded its plans and runs its scheduler (<c>/readyz</c>).</summary>
    bool Ready { get; }
}

/// <summary>The agent's API (<c>/api/</c>), for <c>lifeboat plans</c>, <c>lifeboat run</c> and pipelines: every call needs the bearer token.</summary>
internal interface IAgentApi
{
    /// <summary>The bearer token the API wants (random per start; in the state file beside the journal, 0600).</summary>
    string Token { get; }

    /// <summary>Every plan with its last run, result, next run and alerts.</summary>
    PlansView Plans();

    /// <summary>Queues a backup of <paramref name="plan"/> now; a <see cref="KeyNotFoundException"/> when there is no such plan.</summary>
    Task<RunAnswer> RunAsync(string plan, RunRequest request, CancellationToken cancellationToken);
}

/// <summary>A listen address the agent could not use.</summary>
internal sealed class ListenException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// The agent's HTTP endpoint on Kestrel: <c>/metrics</c> (Prometheus text, no login), <c>/healthz</c> (200 when every
/// plan is fresh, else 503 with the reasons, one per line), <c>/readyz</c> (the process itself). Built from Kestrel's
/// slim parts only, with plain request delegates, so it compiles under Native AOT.
/// </summary>
internal sealed class AgentEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;

    private AgentEndpoint(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The address it listens on (with the port chosen, when 0 was asked for).</summary>
    public Uri Address { get; }

    /// <summary>Starts listening on <paramref name="listen"/>; a <see cref="ListenException"/> when the address cannot be used.</summary>
    public static Task<AgentEndpoint> StartAsync(IPEndPoint listen, IAgentView view, CancellationToken cancellationToken) =>
        StartAsync(listen, view, null, cancellationToken);

    /// <summary>Starts listening on <paramref name="listen"/>, with the API of <paramref name="api"/> when given.</summary>
    public static async Task<AgentEndpoint> StartAsync(IPEndPoint listen, IAgentView view, IAgentApi? api, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(options =>
        {
            options.AddServerHeader = false;
            options.Listen(listen);
        });
        builder.Services.AddRoutingCore();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/metrics", (RequestDelegate)(context => WriteAsync(context, 200, PrometheusText.ContentType, AgentMetrics.Render(view.Metrics()))));
        app.MapGet("/healthz", (RequestDelegate)(context =>
        {
            var health = view.Health();
            return health.Healthy
                ? WriteAsync(context, 200, "text/plain; charset=utf-8", $"ok: {health.Plans} plan(s) fresh, no failure\n")
                : WriteAsync(context, 503, "text/plain; charset=utf-8", string.Concat(health.Problems.Select(p => p + "\n")));
        }));
        app.MapGet("/readyz", (RequestDelegate)(context => view.Ready
            ? WriteAsync(context, 200, "text/plain; charset=utf-8", "ready\n")
            : WriteAsync(context, 503, "text/plain; charset=utf-8", "starting: the plans are not loaded yet\n")));
        if (api is not null)
        {
            AgentApiRoutes.Map(app, api);
        }

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new ListenException(
                InUse(e)
                    ? $"cannot listen on {listen}: the address is in use by another process; choose another with --listen (or agent.listen in the plan file), or stop that process"
                    : $"cannot listen on {listen}: {e.Message}",
                e);
        }

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        return new AgentEndpoint(app, new Uri(bound ?? $"http://{listen}"));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static bool InUse(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is Microsoft.AspNetCore.Connections.AddressInUseException
                or System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse })
            {
                return true;
            }
        }

        return false;
    }

    private static Task WriteAsync(HttpContext context, int status, string contentType, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(body, Encoding.UTF8, context.RequestAborted);
    }
}
