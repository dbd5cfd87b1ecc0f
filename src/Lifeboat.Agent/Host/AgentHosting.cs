using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Lifeboat.Agent.Host;

/// <summary>
/// Runs a started <see cref="AgentHost"/> on the generic host until it is told to stop: SIGTERM or Ctrl-C (the console
/// lifetime), or systemd (with <c>Type=notify</c>: READY=1 once serving, STOPPING=1 when stopping). SIGHUP reloads the
/// plan file. The host's shutdown timeout covers the agent's stop grace.
/// </summary>
internal static class AgentHosting
{
    /// <summary>Serves until stopped; returns once the agent has stopped.</summary>
    public static async Task RunAsync(AgentHost agent, TimeSpan stopGrace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSystemd();
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = stopGrace + TimeSpan.FromSeconds(30));
        builder.Services.AddSingleton<IHostedService>(new AgentService(agent));
        using var host = builder.Build();
        using var hangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            _ = agent.ReloadAsync("SIGHUP");
        });
        await host.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The agent as the host's service: already started when the host starts, stopped when the host stops.</summary>
    private sealed class AgentService(AgentHost agent) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => agent.StopAsync();
    }
}
