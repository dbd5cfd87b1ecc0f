using Lifeboat.Agent.Scheduling;

namespace Lifeboat.Agent.Tests;

public sealed class IntervalScheduleTests
{
    private static readonly IntervalSchedule EverySixHours = new(TimeSpan.FromHours(6));

    [Fact]
    public void Every_6h_lands_on_the_same_utc_times_whatever_the_start()
    {
        var now = new DateTimeOffset(2026, 12, 7, 9, 21, 13, TimeSpan.Zero);
        EverySixHours.Next(now).Should().Be(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
        EverySixHours.Next(now.AddMinutes(7)).Should().Be(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
    }

    [Fact]
    public void A_time_exactly_on_a_slot_has_the_following_slot_next_and_itself_previous()
    {
        var slot = new DateTimeOffset(2026, 12, 7, 18, 0, 0, TimeSpan.Zero);
        EverySixHours.Next(slot).Should().Be(slot.AddHours(6));
        EverySixHours.Previous(slot).Should().Be(slot);
    }

    [Fact]
    public void The_slots_do_not_depend_on_the_offset_the_time_is_given_in()
    {
        var berlin = new DateTimeOffset(2026, 12, 7, 10, 21, 0, TimeSpan.FromHours(1));
        EverySixHours.Next(berlin).UtcDateTime.Should().Be(new DateTime(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc));
    }

    [Fact]
    public void Previous_of_a_time_between_slots_is_the_slot_before_it() =>
        new IntervalSchedule(TimeSpan.FromMinutes(30)).Previous(new DateTimeOffset(2026, 3, 29, 1, 59, 0, TimeSpan.Zero))
            .Should().Be(new DateTimeOffset(2026, 3, 29, 1, 30, 0, TimeSpan.Zero));
}

public sealed class JitterTests
{
    [Fact]
    public void The_same_plan_gets_the_same_delay_every_time() =>
        Jitter.For("nightly", TimeSpan.FromMinutes(10)).Should().Be(Jitter.For("nightly", TimeSpan.FromMinutes(10)));

    [Fact]
    public void Delays_stay_below_the_bound_and_spread_across_plans()
    {
        var max = TimeSpan.FromMinutes(5);
        var delays = Enumerable.Range(0, 200).Select(i => Jitter.For($"plan-{i}", max)).ToList();
        delays.Should().OnlyContain(d => d >= TimeSpan.Zero && d < max);
        delays.Distinct().Count().Should().BeGreaterThan(150);
        delays.Max().Should().BeGreaterThan(TimeSpan.FromMinutes(4));
        delays.Min().Should().BeLessThan(TimeSpan.FromMinutes(1));
    }

    [Fact]
    public void No_bound_means_no_delay() => Jitter.For("nightly", TimeSpan.Zero).Should().Be(TimeSpan.Zero);
}
