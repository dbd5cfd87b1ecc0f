using Lifeboat.Agent.Scheduling;

namespace Lifeboat.Agent.Tests;

public sealed class CronScheduleTests
{
    private static readonly TimeZoneInfo Paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");

    private static CronSchedule Cron(string text, TimeZoneInfo zone) =>
        CronSchedule.TryParse(text, zone, out var error, out _) ?? throw new InvalidOperationException(error);

    private static DateTimeOffset Utc(int month, int day, int hour, int minute = 0) => new(2026, month, day, hour, minute, 0, TimeSpan.Zero);

    [Fact]
    public void A_daily_cron_runs_at_the_local_time_in_its_zone_winter_and_summer()
    {
        var daily = Cron("0 3 * * *", Paris);

        daily.Next(Utc(1, 10, 12)).Should().Be(Utc(1, 11, 2), "03:00 in Paris is 02:00 UTC in winter (CET)");
        daily.Next(Utc(7, 10, 12)).Should().Be(Utc(7, 11, 1), "and 01:00 UTC in summer (CEST)");
    }

    [Fact]
    public void On_spring_forward_a_slot_in_the_skipped_hour_runs_when_the_clocks_jump()
    {
        // 2026-03-29: Paris goes from 02:00 CET straight to 03:00 CEST (01:00 UTC); 02:30 does not exist that day
        var daily = Cron("30 2 * * *", Paris);

        var run = daily.Next(Utc(3, 28, 12))!.Value;

        run.Should().Be(Utc(3, 29, 1));
        TimeZoneInfo.ConvertTime(run, Paris).TimeOfDay.Should().Be(TimeSpan.FromHours(3));
        daily.Next(run).Should().Be(Utc(3, 30, 0, 30), "the day after, 02:30 CEST again");
    }

    [Fact]
    public void On_fall_back_a_daily_slot_in_the_repeated_hour_runs_once()
    {
        // 2026-10-25: Paris goes from 03:00 CEST back to 02:00 CET (01:00 UTC); 02:30 happens twice
        var daily = Cron("30 2 * * *", Paris);

        var first = daily.Next(Utc(10, 24, 12))!.Value;

        first.Should().Be(Utc(10, 25, 0, 30), "the first 02:30 (CEST)");
        daily.Next(first).Should().Be(Utc(10, 26, 1, 30), "not the second 02:30 (CET) an hour later, but the next day's");
    }

    [Fact]
    public void On_fall_back_an_every_30_minutes_cron_keeps_firing_through_the_repeated_hour()
    {
        var halfHourly = Cron("*/30 * * * *", Paris);
        var runs = new List<DateTimeOffset>();
        var at = Utc(10, 24, 23, 50);
        for (var i = 0; i < 6; i++)
        {
            at = halfHourly.Next(at)!.Value;
            runs.Add(at);
        }

        // every half hour of real time, also through the hour the clocks repeat
        runs.Should().Equal(Utc(10, 25, 0), Utc(10, 25, 0, 30), Utc(10, 25, 1), Utc(10, 25, 1, 30), Utc(10, 25, 2), Utc(10, 25, 2, 30));
    }

    [Fact]
    public void Every_6h_keeps_its_utc_slots_across_a_dst_change()
    {
        var job = new JobSchedule(new IntervalSchedule(TimeSpan.FromHours(6)), Paris, MissedRunPolicy.RunOnce, null, TimeSpan.Zero);

        job.NextRuns("p", Utc(3, 28, 20), 3).Select(r => r.Start).Should().Equal(Utc(3, 29, 0), Utc(3, 29, 6), Utc(3, 29, 12));
    }

    [Fact]
    public void A_six_field_cron_has_seconds_first()
    {
        Cron("15 0 * * * *", TimeZoneInfo.Utc).Next(Utc(5, 1, 10, 0)).Should().Be(Utc(5, 1, 10, 0).AddSeconds(15));
    }

    [Fact]
    public void Next_runs_add_the_plans_jitter_to_each_slot_and_stay_strictly_after_the_instant()
    {
        var job = new JobSchedule(new IntervalSchedule(TimeSpan.FromHours(1)), TimeZoneInfo.Utc, MissedRunPolicy.Skip, TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(20));
        var delay = job.DelayFor("app-hourly");

        var runs = job.NextRuns("app-hourly", Utc(5, 1, 10) + delay - TimeSpan.FromSeconds(1), 3);

        // a slot whose jittered start is still ahead is the next run
        runs.Select(r => r.Slot).Should().Equal(Utc(5, 1, 10), Utc(5, 1, 11), Utc(5, 1, 12));
        runs.Should().OnlyContain(r => r.Start - r.Slot == delay);
        delay.Should().BeLessThan(TimeSpan.FromMinutes(20)).And.BeGreaterThan(TimeSpan.Zero);
        (delay.Ticks % TimeSpan.TicksPerSecond).Should().Be(0, "whole seconds");
    }

    [Fact]
    public void A_start_later_than_max_delay_after_the_planned_start_is_late()
    {
        var job = new JobSchedule(new IntervalSchedule(TimeSpan.FromHours(1)), TimeZoneInfo.Utc, MissedRunPolicy.RunOnce, TimeSpan.FromMinutes(15), TimeSpan.Zero);
        var run = job.NextRuns("p", Utc(5, 1, 9, 30), 1).Single();

        job.IsLate(run, run.Start.AddMinutes(15)).Should().BeFalse();
        job.IsLate(run, run.Start.AddMinutes(16)).Should().BeTrue();
        (job with { MaxDelay = null }).IsLate(run, run.Start.AddDays(1)).Should().BeFalse("without max_delay no start is late");
    }

    [Theory]
    [InlineData("61 * * * *", "minute field '61'", 0)]
    [InlineData("0 0 * 13 *", "month field '13'", 6)]
    [InlineData("0 0 * * * * *", "has 7", -1)]
    public void An_invalid_cron_names_the_field_and_its_position(string text, string reason, int offset)
    {
        CronSchedule.TryParse(text, TimeZoneInfo.Utc, out var error, out var at).Should().BeNull();

        error.Should().Contain(reason);
        at.Should().Be(offset);
    }
}
