using Lifeboat.Agent.Runner;
using Lifeboat.Agent.Scheduling;

namespace Lifeboat.Agent.Tests;

public sealed class MissedRunsTests
{
    private static readonly IntervalSchedule Hourly = new(TimeSpan.FromHours(1));
    private static readonly DateTimeOffset Day = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_restart_after_the_slot_ran_finds_nothing_missed_and_waits_for_the_next_slot()
    {
        var decision = MissedRuns.Decide(t => Hourly.Next(t), lastRunSlot: Day.AddHours(3), Day, now: Day.AddHours(3).AddMinutes(20), runMissed: true, TimeSpan.FromMinutes(15));

        decision.RunNow.Should().BeFalse("the 03:00 slot ran: running again would be a double run");
        decision.NextSlot.Should().Be(Day.AddHours(4));
    }

    [Fact]
    public void Ten_missed_slots_are_one_run_for_the_latest_and_it_is_late_past_the_max_delay()
    {
        var decision = MissedRuns.Decide(t => Hourly.Next(t), lastRunSlot: Day, Day, now: Day.AddHours(10).AddMinutes(30), runMissed: true, TimeSpan.FromMinutes(15));

        decision.RunNow.Should().BeTrue();
        decision.Slot.Should().Be(Day.AddHours(10));
        decision.Late.Should().BeTrue("10:30 is 30 minutes after the 10:00 slot, more than the 15 minutes allowed");
        decision.NextSlot.Should().Be(Day.AddHours(11));
        decision.Reason.Should().Be("10 slots were missed, the latest at 2026-12-07 10:00 UTC: running once now, later than the max delay of 00:15:00");
    }

    [Fact]
    public void A_missed_slot_within_the_max_delay_runs_and_is_not_late()
    {
        var decision = MissedRuns.Decide(t => Hourly.Next(t), lastRunSlot: Day, Day, now: Day.AddHours(1).AddMinutes(5), runMissed: true, TimeSpan.FromMinutes(15));

        decision.Should().Be(new SlotDecision(true, Day.AddHours(1), false, Day.AddHours(2), "the slot of 2026-12-07 01:00 UTC was missed: running once now", 1));
    }

    [Fact]
    public void With_skip_a_missed_slot_does_not_run_and_the_next_slot_is_awaited()
    {
        var decision = MissedRuns.Decide(t => Hourly.Next(t), lastRunSlot: Day, Day, now: Day.AddHours(5).AddMinutes(30), runMissed: false, TimeSpan.FromMinutes(15));

        decision.RunNow.Should().BeFalse();
        decision.Late.Should().BeFalse("nothing starts late");
        decision.NextSlot.Should().Be(Day.AddHours(6));
    }

    [Fact]
    public void A_plan_that_never_ran_counts_nothing_missed_before_the_agent_watched_it()
    {
        var decision = MissedRuns.Decide(t => Hourly.Next(t), lastRunSlot: null, watchedSince: Day.AddHours(7).AddMinutes(10), now: Day.AddHours(7).AddMinutes(11), runMissed: true, TimeSpan.FromMinutes(15));

        decision.RunNow.Should().BeFalse();
        decision.NextSlot.Should().Be(Day.AddHours(8));
    }
}
