using System.Diagnostics;
using Lifeboat.Agent.Metrics;

namespace Lifeboat.Agent.Tests;

public sealed class AgentMetricsTests
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    private static MetricsSnapshot Snapshot() => new("1.4.0", [
        new PlanFigures("app-6h", "db.example.com:5432/app", "main")
        {
            Kinds =
            [
                new KindFigures("backup")
                {
                    LastSuccess = Noon, NextRun = Noon.AddHours(6), LastRunDurationSeconds = 42.5,
                    Runs = new Dictionary<string, long> { ["success"] = 3, ["failure"] = 1 },
                },
                new KindFigures("drill") { NextRun = Noon.AddDays(1) },
            ],
            BackupSizeBytes = 1_000_000, BackupAddedBytes = 12_345, DrillRtoSeconds = 310,
            CopyLagSeconds = new Dictionary<string, double> { ["offsite"] = 90 },
            Alerts = new Dictionary<string, bool> { ["overdue"] = false, ["failure"] = true },
        },
        new PlanFigures("crm \"daily\"", "db:5432/crm", "main"),
    ], [new RepositoryFigures("main", 5_000_000_000, 10_000_000_000), new RepositoryFigures("offsite", null, null)]);

    [Fact]
    public void Times_are_unix_seconds_sizes_bytes_and_labels_only_plan_source_repository_and_kind()
    {
        var text = AgentMetrics.Render(Snapshot());

        text.Should().Contain("lifeboat_last_success_timestamp_seconds{plan=\"app-6h\",source=\"db.example.com:5432/app\",repository=\"main\",kind=\"backup\"} 1796644800\n");
        text.Should().Contain("lifeboat_next_run_timestamp_seconds{plan=\"app-6h\",source=\"db.example.com:5432/app\",repository=\"main\",kind=\"drill\"} 1796731200\n");
        text.Should().Contain("lifeboat_runs_total{plan=\"app-6h\",source=\"db.example.com:5432/app\",repository=\"main\",kind=\"backup\",status=\"failure\"} 1\n");
        text.Should().Contain("lifeboat_backup_added_bytes{plan=\"app-6h\",source=\"db.example.com:5432/app\",repository=\"main\"} 12345\n");
        text.Should().Contain("lifeboat_alerts_firing{plan=\"app-6h\",source=\"db.example.com:5432/app\",repository=\"main\",condition=\"failure\"} 1\n");
        text.Should().Contain("lifeboat_repository_stored_bytes{repository=\"main\"} 5000000000\n");
        text.Should().Contain("lifeboat_build_info{version=\"1.4.0\"} 1\n");
        text.Should().Contain("lifeboat_copy_lag_seconds{plan=\"app-6h\",source=\"db.example.com:5432/app\",repository=\"offsite\"} 90\n", "a copy's lag is labelled with the copy's repository");
    }

    [Fact]
    public void A_figure_not_known_yet_is_left_out_rather_than_exported_as_zero()
    {
        var text = AgentMetrics.Render(Snapshot());

        text.Should().NotContain("kind=\"drill\"} 0");
        text.Split('\n').Where(l => l.StartsWith("lifeboat_last_success_timestamp_seconds{", StringComparison.Ordinal)).Should().ContainSingle();
        text.Should().NotContain("lifeboat_repository_stored_bytes{repository=\"offsite\"}").And.NotContain("lifeboat_repository_quota_bytes{repository=\"offsite\"}");
    }

    [Fact]
    public void A_label_value_with_quotes_is_escaped()
    {
        var text = new PrometheusText().Family("lifeboat_x", MetricType.Gauge, "x").Sample(1, ("plan", "a \"b\" \\ c\nd")).ToString();

        text.Should().EndWith("lifeboat_x{plan=\"a \\\"b\\\" \\\\ c\\nd\"} 1\n");
    }

    [Fact]
    public void A_label_that_would_make_a_series_per_backup_is_refused()
    {
        var write = () => new PrometheusText().Family("lifeboat_x", MetricType.Gauge, "x").Sample(1, ("snapshot", "4f2a9c01"));

        write.Should().Throw<ArgumentException>().WithMessage("*label 'snapshot' is not one of*");
    }

    [Fact]
    public void A_counter_not_named_total_is_refused() =>
        new Action(() => new PrometheusText().Family("lifeboat_runs", MetricType.Counter, "x")).Should().Throw<ArgumentException>();

    [Fact]
    public async Task Promtool_accepts_the_exposition_without_a_lint_problem()
    {
        var promtool = new[] { "/usr/bin/promtool", "/usr/local/bin/promtool" }.FirstOrDefault(File.Exists);
        promtool.Should().NotBeNull("tests/emulators/install installs Debian's prometheus package, which has promtool");
        var info = new ProcessStartInfo(promtool!, ["check", "metrics"])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        await process.StandardInput.WriteAsync(AgentMetrics.Render(Snapshot()));
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        process.ExitCode.Should().Be(0, output);
        output.Trim().Should().BeEmpty("promtool's linter names every problem it finds");
    }
}
