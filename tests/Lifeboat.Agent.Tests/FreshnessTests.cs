using Lifeboat.Agent.Health;
using Lifeboat.Agent.Scheduling;

namespace Lifeboat.Agent.Tests;

public sealed class FreshnessTests
{
    private static readonly IntervalSchedule SixHours = new(TimeSpan.FromHours(6));
    private static readonly DateTimeOffset Day = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Grace = TimeSpan.FromHours(1);

    [Fact]
    public void A_plan_is_fresh_until_its_next_slot_plus_the_grace_has_passed()
    {
        var lastSuccess = Day.AddMinutes(2);

        Freshness.Evaluate(t => SixHours.Next(t), lastSuccess, Day, Day.AddHours(6).AddMinutes(59), Grace).Overdue.Should().BeFalse();
        var late = Freshness.Evaluate(t => SixHours.Next(t), lastSuccess, Day, Day.AddHours(7).AddMinutes(1), Grace);

        late.Overdue.Should().BeTrue();
        late.DueBy.Should().Be(Day.AddHours(7));
        late.Reason.Should().Be("the run due at 2026-12-07 06:00 UTC has not succeeded within its grace of 60 minutes; the last success started at 2026-12-07 00:02 UTC");
    }

    [Fact]
    public void A_weekly_plan_is_not_overdue_after_25_hours_as_a_fixed_age_rule_would_say()
    {
        var weekly = new IntervalSchedule(TimeSpan.FromDays(7));
        var lastSuccess = weekly.Previous(Day);

        Freshness.Evaluate(t => weekly.Next(t), lastSuccess, lastSuccess, lastSuccess.AddHours(25), Grace).Overdue.Should().BeFalse();
        Freshness.Evaluate(t => weekly.Next(t), lastSuccess, lastSuccess, lastSuccess.AddDays(7).AddHours(2), Grace).Overdue.Should().BeTrue();
    }

    [Fact]
    public void Max_age_overrides_the_schedule()
    {
        var verdict = Freshness.Evaluate(t => SixHours.Next(t), Day, Day, Day.AddHours(26), Grace, maxAge: TimeSpan.FromHours(25));

        verdict.Overdue.Should().BeTrue();
        verdict.Reason.Should().Be("the last successful run started 26 hours ago; the plan allows 25 hours (max_age)");
    }

    [Fact]
    public void A_plan_that_never_succeeded_is_overdue_once_its_first_due_run_passed_its_grace()
    {
        var watched = Day.AddHours(1);

        Freshness.Evaluate(t => SixHours.Next(t), null, watched, Day.AddHours(6).AddMinutes(30), Grace).Overdue.Should().BeFalse();
        var verdict = Freshness.Evaluate(t => SixHours.Next(t), null, watched, Day.AddHours(7).AddMinutes(30), Grace);

        verdict.Overdue.Should().BeTrue();
        verdict.Reason.Should().StartWith("no successful run yet: the run due at 2026-12-07 06:00 UTC");
    }
}
