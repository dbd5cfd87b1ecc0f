using Lifeboat.Agent.Alerts;

namespace Lifeboat.Agent.Tests.Alerts;

public sealed class OutlierRuleTests
{
    private static readonly double[] SteadySizes = [100, 102, 98, 101, 99, 103, 100];

    [Fact]
    public void A_size_within_the_usual_spread_is_normal() =>
        OutlierRule.Size.Evaluate(SteadySizes, 104).IsOutlier.Should().BeFalse();

    [Fact]
    public void A_size_far_from_the_median_of_the_good_runs_is_an_outlier()
    {
        var verdict = OutlierRule.Size.Evaluate(SteadySizes, 180);
        verdict.IsOutlier.Should().BeTrue();
        verdict.Reason.Should().Contain("median 100");
    }

    [Fact]
    public void A_dump_smaller_than_half_of_the_last_one_is_an_outlier_even_with_one_run_of_history()
    {
        OutlierRule.Size.Evaluate([1000], 400).IsOutlier.Should().BeTrue();
        OutlierRule.Size.Evaluate([1000], 400).Reason.Should().Contain("less than half");
        OutlierRule.Size.Evaluate([1000], 600).IsOutlier.Should().BeFalse("too little history for median and MAD");
    }

    [Fact]
    public void A_short_duration_is_not_an_outlier_by_the_floor_alone() =>
        OutlierRule.Duration.Evaluate([60, 62], 20).IsOutlier.Should().BeFalse();

    [Fact]
    public void One_odd_run_in_the_history_does_not_move_the_bounds()
    {
        double[] withSpike = [100, 101, 99, 900, 100, 102];
        OutlierRule.Size.Evaluate(withSpike, 101).IsOutlier.Should().BeFalse();
        OutlierRule.Size.Evaluate(withSpike, 300).IsOutlier.Should().BeTrue("a mean and standard deviation would accept it; the median and MAD do not");
    }

    [Fact]
    public void Identical_runs_do_not_turn_every_small_change_into_an_outlier()
    {
        double[] identical = [500, 500, 500, 500, 500];
        OutlierRule.Size.Evaluate(identical, 510).IsOutlier.Should().BeFalse();
        OutlierRule.Size.Evaluate(identical, 700).IsOutlier.Should().BeTrue();
    }

    [Fact]
    public void Identical_zero_sized_runs_make_any_other_value_an_outlier()
    {
        OutlierRule.Duration.Evaluate([0, 0, 0, 0, 0], 0).IsOutlier.Should().BeFalse();
        OutlierRule.Duration.Evaluate([0, 0, 0, 0, 0], 5).IsOutlier.Should().BeTrue();
    }

    [Fact]
    public void No_history_is_never_an_outlier() =>
        OutlierRule.Size.Evaluate([], 0).IsOutlier.Should().BeFalse();

    [Fact]
    public void The_median_of_an_even_count_is_the_mean_of_the_two_middle_values()
    {
        OutlierRule.Median([4, 1, 3, 2]).Should().Be(2.5);
        OutlierRule.Median([5, 1, 3]).Should().Be(3);
    }
}
