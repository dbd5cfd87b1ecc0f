using Lifeboat.Repository.Retention;

namespace Lifeboat.Repository.Tests.Retention;

public class RetentionPlannerTests
{
    [Fact]
    public void Day_buckets_follow_the_chosen_time_zone_at_midnight()
    {
        // 22:30Z and 23:30Z are one UTC day, but 23:30 and 00:30 (next day) in Berlin (UTC+1 in March).
        var a = Snapshots.At("2026-03-10T22:30:00Z");
        var b = Snapshots.At("2026-03-10T23:30:00Z");
        var c = Snapshots.At("2026-03-11T00:30:00Z");
        var policy = Snapshots.Counts(daily: 2);

        Snapshots.Plan([a, b, c], policy, "UTC").Kept().Should().BeEquivalentTo([c, b]);
        Snapshots.Plan([a, b, c], policy, "Europe/Berlin").Kept().Should().BeEquivalentTo([c, a]);
    }

    [Fact]
    public void The_hour_repeated_when_clocks_go_back_is_two_hourly_buckets()
    {
        // 2026-10-25 in Berlin: 02:30 CEST (00:30Z), then clocks go back, 02:30 CET (01:30Z).
        var first = Snapshots.At("2026-10-25T00:30:00Z");
        var second = Snapshots.At("2026-10-25T01:30:00Z");
        var policy = Snapshots.Counts(hourly: 5);

        Snapshots.Plan([first, second], policy, "Europe/Berlin").Kept().Should().BeEquivalentTo([first, second]);
    }

    [Fact]
    public void A_twenty_five_hour_day_is_one_daily_bucket_and_a_twenty_three_hour_day_too()
    {
        // Hourly snapshots across both Berlin transitions of 2026 (Mar 29: 23 hours, Oct 25: 25 hours).
        var spring = Enumerable.Range(0, 23).Select(h => Snapshots.At(new DateTimeOffset(2026, 3, 28, 23, 0, 0, TimeSpan.Zero).AddHours(h))).ToList();
        var autumn = Enumerable.Range(0, 25).Select(h => Snapshots.At(new DateTimeOffset(2026, 10, 24, 22, 0, 0, TimeSpan.Zero).AddHours(h))).ToList();
        var zone = CalendarBuckets.FindTimeZone("Europe/Berlin");
        spring.Select(s => TimeZoneInfo.ConvertTime(s.Snapshot.Time, zone).Day).Distinct().Should().Equal(29);
        autumn.Select(s => TimeZoneInfo.ConvertTime(s.Snapshot.Time, zone).Day).Distinct().Should().Equal(25);

        var plan = Snapshots.Plan([.. spring, .. autumn], Snapshots.Counts(daily: 10), "Europe/Berlin");

        plan.Kept().Should().BeEquivalentTo([spring[^1], autumn[^1]]);
    }

    [Fact]
    public void Weeks_are_iso_weeks_that_span_the_new_year()
    {
        var sunday = Snapshots.At("2026-12-27T12:00:00Z");    // 2026-W52
        var thursday = Snapshots.At("2026-12-31T12:00:00Z");  // 2026-W53
        var friday = Snapshots.At("2027-01-01T12:00:00Z");    // 2026-W53 too

        Snapshots.Plan([sunday, thursday, friday], Snapshots.Counts(weekly: 5)).Kept().Should().BeEquivalentTo([friday, sunday]);
        Snapshots.Plan([sunday, thursday, friday], Snapshots.Counts(yearly: 5)).Kept().Should().BeEquivalentTo([friday, thursday]);
    }

    [Fact]
    public void Keep_within_daily_keeps_the_newest_of_each_day_within_the_duration_of_the_newest_snapshot()
    {
        var sixHourly = Enumerable.Range(0, 40).Select(i => Snapshots.At(new DateTimeOffset(2020, 5, 1, 3, 0, 0, TimeSpan.Zero).AddHours(6 * i))).ToList();
        var newest = sixHourly[^1].Snapshot.Time; // 2020-05-10 21:00Z

        var plan = Snapshots.Plan(sixHourly, new RetentionPolicy { WithinBuckets = [new CalendarWithinRule(CalendarUnit.Day, RetentionDuration.Parse("3d"))] });

        var expected = sixHourly.Where(s => s.Snapshot.Time >= newest.AddDays(-3)).GroupBy(s => s.Snapshot.Time.Date).Select(g => g.MaxBy(s => s.Snapshot.Time)!);
        plan.Kept().Should().BeEquivalentTo(expected);
        plan.Kept().Should().HaveCount(4, "May 7 (from 21:00), 8, 9 and 10");
        plan.Groups.Single().Decisions.First().Reasons.Should().Equal("daily within 3d");
    }

    [Fact]
    public void Keep_within_counts_back_from_the_newest_snapshot_so_stopped_backups_are_not_all_forgotten()
    {
        var old = Enumerable.Range(0, 10).Select(i => Snapshots.At(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero).AddDays(i))).ToList();

        var plan = Snapshots.Plan(old, new RetentionPolicy { KeepWithin = RetentionDuration.Parse("3d") }, now: new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

        plan.Kept().Should().BeEquivalentTo(old.TakeLast(4));
    }

    [Fact]
    public void Policies_apply_per_source_and_every_reason_is_reported()
    {
        var a1 = Snapshots.At("2026-01-01T01:00:00Z", "orders");
        var a2 = Snapshots.At("2026-01-02T01:00:00Z", "orders", "release");
        var b1 = Snapshots.At("2026-01-01T02:00:00Z", "users");

        var plan = Snapshots.Plan([a1, a2, b1], Snapshots.Counts(daily: 1) with { KeepLast = 1, KeepTags = ["release"] });

        plan.Groups.Should().HaveCount(2);
        plan.Kept().Should().BeEquivalentTo([a2, b1]);
        plan.Groups.Single(g => g.Key.Source == "orders").Decisions[0].Reasons.Should().Equal("tag release", "last", "daily");
    }

    [Fact]
    public void A_held_snapshot_is_kept_with_the_hold_as_its_reason()
    {
        var old = Snapshots.At("2020-01-01T00:00:00Z");
        var recent = Snapshots.At("2026-01-01T00:00:00Z");
        var holds = new Dictionary<Format.BlobId, List<HoldEntry>> { [old.Id] = [SimulatedYearTests.Hold(old.Id)] };

        var plan = Snapshots.Plan([old, recent], new RetentionPolicy { KeepLast = 1 }, holds: holds);

        plan.Kept().Should().BeEquivalentTo([old, recent]);
        plan.Groups.Single().Decisions.Single(d => d.Record == old).Reasons.Should().Equal("held forever (legal)");
    }

    [Fact]
    public void An_empty_repository_gives_an_empty_plan_and_a_single_snapshot_is_kept()
    {
        Snapshots.Plan([], Snapshots.Counts(daily: 7)).Groups.Should().BeEmpty();

        var only = Snapshots.At("2026-01-01T00:00:00Z");
        var plan = Snapshots.Plan([only], Snapshots.Counts(daily: 7));
        plan.Kept().Should().BeEquivalentTo([only]);
        plan.GuardViolations.Should().BeEmpty();
    }

    [Fact]
    public void A_policy_that_keeps_nothing_of_a_group_violates_the_guard_unless_min_keep_is_zero()
    {
        var snapshots = new[] { Snapshots.At("2026-01-01T00:00:00Z"), Snapshots.At("2026-01-02T00:00:00Z") };
        var policy = new RetentionPolicy { KeepTags = ["never-used"] };

        Snapshots.Plan(snapshots, policy).GuardViolations.Should().ContainSingle();
        Snapshots.Plan(snapshots, new RetentionPolicy { KeepLast = 1 }, minKeep: 2).GuardViolations.Should().ContainSingle();
        Snapshots.Plan(snapshots, policy, minKeep: 0).GuardViolations.Should().BeEmpty();
    }

    [Fact]
    public void A_policy_without_any_rule_is_refused()
    {
        var act = () => Snapshots.Plan([Snapshots.At("2026-01-01T00:00:00Z")], new RetentionPolicy());

        act.Should().Throw<InvalidRequestException>().WithMessage("*at least one --keep-*");
    }

    [Theory]
    [InlineData("30d", 0, 0, 0, 30, 0)]
    [InlineData("1y2m", 1, 2, 0, 0, 0)]
    [InlineData("2w12h", 0, 0, 2, 0, 12)]
    public void Durations_parse(string text, int years, int months, int weeks, int days, int hours) =>
        RetentionDuration.Parse(text).Should().Be(new RetentionDuration(years, months, weeks, days, hours));

    [Theory]
    [InlineData("30")]
    [InlineData("1d1d")]
    [InlineData("d")]
    [InlineData("-3d")]
    public void Malformed_durations_are_refused(string text) =>
        ((Action)(() => RetentionDuration.Parse(text))).Should().Throw<InvalidRequestException>();
}
