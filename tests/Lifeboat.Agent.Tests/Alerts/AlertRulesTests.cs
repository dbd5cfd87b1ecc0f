using Lifeboat.Agent.Alerts;
using Lifeboat.Agent.Jobs;
using Lifeboat.Agent.Journal;

namespace Lifeboat.Agent.Tests.Alerts;

public sealed class AlertRulesTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);

    private static RunRecord Backup(long id, double size, double seconds, RunResult result = RunResult.Succeeded) =>
        new(id, "app-6h", RunKind.Backup, At.AddHours(id), At.AddHours(id).AddSeconds(seconds), result,
            new Dictionary<string, double> { [Figures.SizeBytes] = size, [Figures.DurationSeconds] = seconds }, result == RunResult.Failed ? "boom" : null);

    [Fact]
    public void A_failed_run_breaks_the_failure_condition_of_its_kind_and_a_success_heals_it()
    {
        var failed = AlertRules.Run(new RunRecord(1, "p", RunKind.Drill, At, At.AddMinutes(5), RunResult.Failed, new Dictionary<string, double>(), "restore failed"))!;
        failed.Condition.Should().Be(AlertCondition.DrillFailed);
        failed.Broken.Should().BeTrue();
        failed.Detail.Should().Be("restore failed");
        failed.At.Should().Be(At.AddMinutes(5));
        AlertRules.Run(new RunRecord(2, "p", RunKind.Copy, At, At, RunResult.Succeeded, new Dictionary<string, double>(), null))!
            .Should().Be(AlertObservation.Healthy("p", AlertCondition.CopyFailed, At));
        AlertRules.Run(new RunRecord(3, "p", RunKind.Backup, At, null, RunResult.Cancelled, new Dictionary<string, double>(), null)).Should().BeNull();
    }

    [Fact]
    public void Storage_above_the_quota_threshold_is_broken_with_the_figures()
    {
        var above = AlertRules.Storage("p", "main", 850, 1000, 80, At);
        above.Broken.Should().BeTrue();
        above.Detail.Should().Be("repository main holds 850 bytes, 85 % of its quota of 1000 (alert above 80 %)");
        AlertRules.Storage("p", "main", 800, 1000, 80, At).Broken.Should().BeFalse("at the threshold is not above it");
    }

    [Fact]
    public void A_drill_that_missed_its_rto_or_rpo_breaks_the_objective_condition()
    {
        var missed = AlertRules.Objectives("p", TimeSpan.FromMinutes(45), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2), TimeSpan.FromHours(7), At);
        missed.Broken.Should().BeTrue();
        missed.Detail.Should().Be("the drill's RTO 45m above the objective 30m");
        AlertRules.Objectives("p", TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30), TimeSpan.FromHours(9), null, At).Broken.Should().BeFalse();
    }

    [Fact]
    public void A_copy_behind_by_more_than_allowed_breaks_copy_lag_and_one_within_it_or_of_unknown_lag_does_not()
    {
        CopyReport[] copies = [new("offsite", "locked", 13 * 3600), new("usb", null, 0), new("cold", "unreachable", null)];
        AlertRules.CopyLag("p", copies, TimeSpan.FromHours(12), At)!.Detail.Should().Be("the copy in offsite is 13h behind the primary (allowed: 12h)");
        AlertRules.CopyLag("p", copies, TimeSpan.FromHours(14), At)!.Broken.Should().BeFalse();
        AlertRules.CopyLag("p", [new("cold", "unreachable", null)], TimeSpan.FromHours(1), At).Should().BeNull("an unknown lag is the copy_failed condition's");
    }

    [Fact]
    public void A_backup_that_wrote_almost_nothing_is_an_anomaly_against_the_journal_history()
    {
        RunRecord[] history = [Backup(5, 1000, 60), Backup(4, 10, 1, RunResult.Failed), Backup(3, 990, 61), Backup(2, 1010, 59), Backup(1, 1000, 60)];
        var current = Backup(6, 12, 58);
        var observation = AlertRules.Anomaly(current, [current, .. history])!;
        observation.Condition.Should().Be(AlertCondition.Anomaly);
        observation.Broken.Should().BeTrue();
        observation.Detail.Should().StartWith("backup size 12 is less than half of the last good run's 1000");
    }

    [Fact]
    public void A_backup_like_the_recent_good_ones_is_no_anomaly_and_a_failed_one_says_nothing()
    {
        RunRecord[] history = [Backup(5, 1000, 60), Backup(4, 990, 61), Backup(3, 1010, 59), Backup(2, 1000, 60), Backup(1, 1005, 60)];
        AlertRules.Anomaly(Backup(6, 1002, 62), history)!.Broken.Should().BeFalse();
        AlertRules.Anomaly(Backup(6, 1002, 600), history)!.Detail.Should().StartWith("backup duration 600 is");
        AlertRules.Anomaly(Backup(6, 0, 1, RunResult.Failed), history).Should().BeNull();
    }
}
