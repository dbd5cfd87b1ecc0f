using System.Globalization;
using System.Text.Json;

namespace Lifeboat.Testing.Emulators;

/// <summary>
/// A real Prometheus (Debian's package) on a free loopback port, scraping one target every second, with its data in
/// a temp directory. Disposing it stops it and removes the directory.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly string _directory;
    private readonly HttpClient _http;

    private PrometheusServer(ChildProcess process, int port, string directory)
    {
        _process = process;
        _directory = directory;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
    }

    /// <summary>The prometheus binary, or a message saying how to install it.</summary>
    public static string Binary() =>
        new[] { "/usr/bin/prometheus", "/usr/local/bin/prometheus" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("prometheus is not installed: run tests/emulators/install (apt-get install prometheus)");

    /// <summary>Starts Prometheus scraping <paramref name="target"/> (HOST:PORT) at <paramref name="metricsPath"/> every second.</summary>
    public static async Task<PrometheusServer> StartAsync(string target, string metricsPath = "/metrics", CancellationToken cancellationToken = default)
    {
        var binary = Binary();
        var directory = TestEnvironment.CreateTempDirectory("prometheus");
        var config = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: lifeboat
                metrics_path: {metricsPath}
                static_configs:
                  - targets: ["{target}"]
            """, cancellationToken);
        try
        {
            var (process, port) = await TestEnvironment.StartOnFreePortAsync(
                port => ChildProcess.Start(binary,
                [
                    "--config.file=" + config, "--storage.tsdb.path=" + Path.Combine(directory, "data"),
                    "--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
                ], directory),
                TimeSpan.FromSeconds(30), cancellationToken);
            var server = new PrometheusServer(process, port, directory);
            try
            {
                await server.WaitUntilReadyAsync(TimeSpan.FromSeconds(30), cancellationToken);
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }

            return server;
        }
        catch
        {
            TestEnvironment.DeleteDirectoryQuietly(directory);
            throw;
        }
    }

    /// <summary>
    /// Waits for <c>/-/ready</c> to answer 200: Prometheus listens before its storage is open, and answers its API with 503
    /// until then.
    /// </summary>
    private async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var response = await _http.GetAsync("/-/ready", cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"Prometheus was not ready within {timeout}\n{_process.Output}");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>The scrape target's health as Prometheus reports it (<c>up</c>, <c>down</c>, <c>unknown</c>) and its last error.</summary>
    public async Task<(string Health, string LastError)> TargetAsync(CancellationToken cancellationToken = default)
    {
        using var response = await _http.GetAsync("/api/v1/targets", cancellationToken);
        if (response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable)
        {
            return ("unknown", "Prometheus is not ready");
        }

        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        var targets = document.RootElement.GetProperty("data").GetProperty("activeTargets");
        if (targets.GetArrayLength() == 0)
        {
            return ("unknown", "not discovered yet");
        }

        var target = targets[0];
        return (target.GetProperty("health").GetString()!, target.GetProperty("lastError").GetString()!);
    }

    /// <summary>The value of an instant query's first series, or null when it has none.</summary>
    public async Task<double?> QueryAsync(string expression, CancellationToken cancellationToken = default)
    {
        using var document = JsonDocument.Parse(await _http.GetStringAsync("/api/v1/query?query=" + Uri.EscapeDataString(expression), cancellationToken));
        var result = document.RootElement.GetProperty("data").GetProperty("result");
        return result.GetArrayLength() == 0 ? null : double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
    }

    /// <summary>Waits until the target was scraped successfully; fails with Prometheus's last error otherwise.</summary>
    public async Task WaitUntilScrapedAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = ("unknown", "");
        while (DateTime.UtcNow < deadline)
        {
            last = await TargetAsync(cancellationToken);
            if (last.Item1 == "up")
            {
                return;
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new TimeoutException($"Prometheus did not scrape the target within {timeout}: health {last.Item1}, last error '{last.Item2}'\n{_process.Output}");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _process.DisposeAsync();
        TestEnvironment.DeleteDirectoryQuietly(_directory);
    }
}
