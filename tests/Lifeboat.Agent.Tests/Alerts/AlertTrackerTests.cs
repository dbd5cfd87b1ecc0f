using Lifeboat.Agent.Alerts;
using Microsoft.Extensions.Time.Testing;

namespace Lifeboat.Agent.Tests.Alerts;

public sealed class AlertTrackerTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);

    private AlertTracker Tracker() => new(_time, TimeSpan.FromHours(4));

    private AlertObservation Failed(string plan = "app-6h", string error = "connection refused") =>
        AlertObservation.Failing(plan, AlertCondition.BackupFailed, _time.GetUtcNow(), error);

    private AlertObservation Succeeded(string plan = "app-6h") =>
        AlertObservation.Healthy(plan, AlertCondition.BackupFailed, _time.GetUtcNow());

    [Fact]
    public void Nothing_is_sent_while_a_plan_is_healthy()
    {
        var tracker = Tracker();
        tracker.Observe(Succeeded()).Should().BeNull();
        _time.Advance(TimeSpan.FromHours(10));
        tracker.Observe(Succeeded()).Should().BeNull();
        tracker.Tick().Should().BeEmpty();
        tracker.Active.Should().BeEmpty();
    }

    [Fact]
    public void A_failure_sends_exactly_one_message_however_often_it_is_observed_again()
    {
        var tracker = Tracker();
        var first = tracker.Observe(Failed());
        first.Should().NotBeNull();
        first!.Kind.Should().Be(NotificationKind.Firing);
        first.Detail.Should().Be("connection refused");
        first.DedupKey.Should().Be("app-6h/backup_failed");
        first.EventName.Should().Be("failure");

        _time.Advance(TimeSpan.FromHours(1));
        tracker.Observe(Failed()).Should().BeNull();
        _time.Advance(TimeSpan.FromHours(1));
        tracker.Observe(Failed()).Should().BeNull();
        tracker.Tick().Should().BeEmpty();
        tracker.Active.Should().ContainSingle().Which.Status.Should().Be(AlertStatus.Firing);
    }

    [Fact]
    public void A_condition_still_broken_is_reminded_once_per_interval()
    {
        var tracker = Tracker();
        tracker.Observe(Failed());
        _time.Advance(TimeSpan.FromHours(3.9));
        tracker.Tick().Should().BeEmpty();
        _time.Advance(TimeSpan.FromHours(0.1));
        var reminder = tracker.Tick().Should().ContainSingle().Subject;
        reminder.Kind.Should().Be(NotificationKind.Reminder);
        reminder.Reminder.Should().Be(1);
        reminder.Since.Should().Be(Start);
        reminder.EventName.Should().Be("reminder");
        tracker.Tick().Should().BeEmpty("the reminder was just made");

        _time.Advance(TimeSpan.FromHours(4));
        tracker.Observe(Failed())!.Reminder.Should().Be(2, "an observation after the interval reminds as well");
        tracker.Active.Should().ContainSingle().Which.Status.Should().Be(AlertStatus.Reminded);
    }

    [Fact]
    public void A_fix_sends_exactly_one_recovered_with_how_long_it_was_broken()
    {
        var tracker = Tracker();
        tracker.Observe(Failed());
        _time.Advance(TimeSpan.FromMinutes(90));
        var recovered = tracker.Observe(Succeeded());
        recovered!.Kind.Should().Be(NotificationKind.Recovered);
        recovered.BrokenFor.Should().Be(TimeSpan.FromMinutes(90));
        recovered.DedupKey.Should().Be("app-6h/backup_failed");
        recovered.Summary.Should().Be("[lifeboat] app-6h: recovered from backup failed after 1h30m");
        tracker.Observe(Succeeded()).Should().BeNull();
        tracker.Active.Should().BeEmpty();
    }

    [Fact]
    public void Each_condition_of_each_plan_is_its_own_alert()
    {
        var tracker = Tracker();
        tracker.Observe(Failed("a")).Should().NotBeNull();
        tracker.Observe(Failed("b")).Should().NotBeNull();
        tracker.Observe(AlertObservation.Failing("a", AlertCondition.CheckFailed, Start, "pack damaged")).Should().NotBeNull();
        tracker.Observe(Succeeded("a"))!.Condition.Should().Be(AlertCondition.BackupFailed);
        tracker.Active.Select(s => s.Key).Should().BeEquivalentTo("b/backup_failed", "a/check_failed");
    }

    [Fact]
    public void States_restored_after_a_restart_are_neither_sent_again_nor_forgotten()
    {
        var before = Tracker();
        before.Observe(Failed());
        var saved = before.Active.ToArray();

        _time.Advance(TimeSpan.FromHours(1));
        var after = new AlertTracker(_time, TimeSpan.FromHours(4), saved);
        after.Observe(Failed()).Should().BeNull("the firing message was sent before the restart");
        _time.Advance(TimeSpan.FromHours(3));
        after.Tick().Should().ContainSingle().Which.Kind.Should().Be(NotificationKind.Reminder);
        after.Observe(Succeeded())!.BrokenFor.Should().Be(TimeSpan.FromHours(4));
    }

    [Fact]
    public void A_zero_interval_sends_no_reminders()
    {
        var tracker = new AlertTracker(_time, TimeSpan.Zero);
        tracker.Observe(Failed());
        _time.Advance(TimeSpan.FromDays(3));
        tracker.Tick().Should().BeEmpty();
    }

    [Fact]
    public void Changed_tells_the_journal_when_a_state_must_be_saved()
    {
        var tracker = Tracker();
        tracker.Observe(Succeeded());
        tracker.Changed.Should().BeFalse();
        tracker.Observe(Failed());
        tracker.Changed.Should().BeTrue();
        tracker.Observe(Failed());
        tracker.Changed.Should().BeFalse();
        tracker.Observe(Failed(error: "timeout"));
        tracker.Changed.Should().BeTrue("the detail changed");
    }

    [Fact]
    public void Condition_names_round_trip_and_map_onto_the_plan_file_event_names()
    {
        foreach (var condition in Enum.GetValues<AlertCondition>())
        {
            AlertConditionNames.Parse(condition.Name()).Should().Be(condition);
        }

        AlertCondition.DrillFailed.EventName().Should().Be("failure");
        AlertCondition.StorageAboveQuota.EventName().Should().Be("storage");
        AlertCondition.ObjectiveMissed.EventName().Should().Be("objective");
        AlertCondition.CopyLag.EventName().Should().Be("copy_lag");
        AlertConditionNames.Parse("nonsense").Should().BeNull();
    }
}
