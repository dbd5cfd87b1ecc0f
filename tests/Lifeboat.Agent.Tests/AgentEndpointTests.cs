using System.Net;
using System.Net.Sockets;
using Lifeboat.Agent.Http;
using Lifeboat.Agent.Metrics;
using Lifeboat.Testing.Emulators;

namespace Lifeboat.Agent.Tests;

public sealed class AgentEndpointTests
{
    private static readonly IPEndPoint AnyLoopbackPort = new(IPAddress.Loopback, 0);

    [Fact]
    public async Task Healthz_answers_200_while_every_plan_is_fresh_and_503_with_the_reasons_when_one_is_overdue()
    {
        var view = new View();
        await using var endpoint = await AgentEndpoint.StartAsync(AnyLoopbackPort, view, CancellationToken.None);
        using var http = new HttpClient { BaseAddress = endpoint.Address };

        using (var fresh = await http.GetAsync("/healthz"))
        {
            fresh.StatusCode.Should().Be(HttpStatusCode.OK);
            (await fresh.Content.ReadAsStringAsync()).Should().Be("ok: 2 plan(s) fresh, no failure\n");
        }

        view.Problems = ["app-6h: overdue: the run due at 2026-12-07 06:00 UTC has not succeeded within its grace of 60 minutes"];
        using var overdue = await http.GetAsync("/healthz");

        overdue.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await overdue.Content.ReadAsStringAsync()).Should().Be(view.Problems[0] + "\n");
    }

    [Fact]
    public async Task Readyz_says_503_until_the_agent_runs_its_scheduler()
    {
        var view = new View { Ready = false };
        await using var endpoint = await AgentEndpoint.StartAsync(AnyLoopbackPort, view, CancellationToken.None);
        using var http = new HttpClient { BaseAddress = endpoint.Address };

        (await http.GetAsync("/readyz")).StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        view.Ready = true;
        (await http.GetAsync("/readyz")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await http.GetAsync("/nothing")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_listen_address_in_use_is_a_clear_error_that_names_it()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var address = (IPEndPoint)taken.LocalEndpoint;

        var start = () => AgentEndpoint.StartAsync(address, new View(), CancellationToken.None);

        (await start.Should().ThrowAsync<ListenException>())
            .WithMessage($"cannot listen on {address}: the address is in use by another process; choose another with --listen*");
    }

    [Theory]
    [InlineData("127.0.0.1:8420", "127.0.0.1:8420")]
    [InlineData("localhost:9000", "127.0.0.1:9000")]
    [InlineData("[::1]:8420", "[::1]:8420")]
    [InlineData("0.0.0.0:8420", "0.0.0.0:8420")]
    public void A_listen_address_is_an_ip_or_localhost_and_a_port(string text, string expected) =>
        ListenAddress.Parse(text).ToString().Should().Be(expected);

    [Theory]
    [InlineData("8420", "is not HOST:PORT")]
    [InlineData("127.0.0.1:99999", "is not HOST:PORT")]
    [InlineData("backup.example.com:8420", "'backup.example.com' is not an IP address")]
    public void A_bad_listen_address_says_what_is_wrong(string text, string message) =>
        new Action(() => ListenAddress.Parse(text)).Should().Throw<FormatException>().WithMessage($"*{message}*");

    [Fact]
    public async Task A_real_prometheus_scrapes_metrics_and_reads_the_figures_back()
    {
        await using var endpoint = await AgentEndpoint.StartAsync(AnyLoopbackPort, new View(), CancellationToken.None);
        await using var prometheus = await PrometheusServer.StartAsync(endpoint.Address.Authority);

        await prometheus.WaitUntilScrapedAsync(TimeSpan.FromSeconds(30));
        var added = await prometheus.QueryAsync("lifeboat_backup_added_bytes{plan=\"app-6h\"}");
        var firing = await prometheus.QueryAsync("sum(lifeboat_alerts_firing)");

        added.Should().Be(12_345);
        firing.Should().Be(1);
    }

    private sealed class View : IAgentView
    {
        public IReadOnlyList<string> Problems { get; set; } = [];

        public bool Ready { get; set; } = true;

        public HealthReport Health() => new(Problems, 2);

        public MetricsSnapshot Metrics() => new("1.0.0", [
            new PlanFigures("app-6h", "db:5432/app", "main")
            {
                BackupAddedBytes = 12_345,
                Alerts = new Dictionary<string, bool> { ["failure"] = true, ["overdue"] = false },
            },
        ], [new RepositoryFigures("main", 1_000, null)]);
    }
}
