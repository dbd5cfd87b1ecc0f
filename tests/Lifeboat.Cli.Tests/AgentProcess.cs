using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Lifeboat.Cli.Tests;

/// <summary>A running <c>lifeboat serve</c>: its log lines (stderr) collected as they come, its endpoint, signals.</summary>
internal sealed class AgentProcess : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly Task _stderr;
    private readonly Task _stdout;

    private AgentProcess(Process process, int port)
    {
        Process = process;
        Port = port;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
        _stderr = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                _lines.Enqueue(line);
            }
        });
        _stdout = process.StandardOutput.ReadToEndAsync();
    }

    public Process Process { get; }

    public int Port { get; }

    public HttpClient Http { get; }

    public IReadOnlyList<string> Lines => [.. _lines];

    public string Log => string.Join('\n', _lines);

    /// <summary>Starts <c>serve --config FILE --listen 127.0.0.1:FREE</c> (plus <paramref name="extra"/>) and waits until it is ready.</summary>
    public static async Task<AgentProcess> StartAsync(CliRunner cli, string config, params string[] extra)
    {
        var port = FreePort();
        var agent = new AgentProcess(cli.Start(interruptible: true, ["serve", "--config", config, "--listen", $"127.0.0.1:{port}", .. extra]), port);
        await agent.WaitUntilAsync(async () =>
        {
            try
            {
                return (await agent.Http.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, "the agent answered /readyz", 60);
        return agent;
    }

    /// <summary>Waits until <paramref name="done"/> holds; fails with the agent's log when it does not in time or the agent exits.</summary>
    public async Task WaitUntilAsync(Func<Task<bool>> done, string what, int seconds = 60)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (!await done())
        {
            if (Process.HasExited)
            {
                await Task.WhenAll(_stderr, _stdout);
                throw new InvalidOperationException($"the agent exited ({Process.ExitCode}) before: {what}\n{Log}");
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"not within {seconds} s: {what}\n{Log}");
            }

            await Task.Delay(200);
        }
    }

    public Task WaitUntilAsync(Func<bool> done, string what, int seconds = 60) => WaitUntilAsync(() => Task.FromResult(done()), what, seconds);

    /// <summary>Sends <paramref name="signal"/> (15 SIGTERM, 1 SIGHUP, 9 SIGKILL) to the agent.</summary>
    public void Signal(int signal) => Kill(Process.Id, signal).Should().Be(0, "the agent is there to be signalled");

    /// <summary>Waits for the agent to exit and returns its exit code.</summary>
    public async Task<int> ExitAsync(int seconds = 60)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        await Process.WaitForExitAsync(timeout.Token);
        await Task.WhenAll(_stderr, _stdout);
        return Process.ExitCode;
    }

    public static async Task<JsonElement> JsonAsync(CliRunner cli, params string[] args)
    {
        var result = await cli.RunAsync([.. args, "--json"]);
        result.ExitCode.Should().Be(0, result.ToString());
        return JsonDocument.Parse(result.Stdout).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
        }

        Http.Dispose();
        Process.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
