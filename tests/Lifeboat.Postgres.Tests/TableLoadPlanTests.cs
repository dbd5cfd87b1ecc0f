namespace Lifeboat.Postgres.Tests;

public class TableLoadPlanTests
{
    private const long MiB = 1024 * 1024;
    private const long Minimum = TableLoadPlan.DefaultMinimumPartBytes;

    [Theory]
    [InlineData(354, 374, 2, 2)] // the benchmark's events table beside three small ones
    [InlineData(292, 292, 2, 2)] // pgbench_accounts alone
    [InlineData(292, 292, 4, 4)]
    [InlineData(300, 1000, 4, 2)] // 30% of the data with 4 jobs: longer than a fair share, so 2 parts
    [InlineData(100, 1000, 4, 1)] // under a fair share: one part
    [InlineData(63, 63, 4, 1)] // under twice the minimum part
    [InlineData(96, 96, 8, 3)] // no part under the minimum
    [InlineData(354, 374, 1, 1)] // one job: nothing to share
    public void A_table_is_shared_by_several_connections_only_when_it_is_longer_than_a_fair_share(long mib, long totalMib, int jobs, int expected) =>
        TableLoadPlan.WaysFor(mib * MiB, totalMib * MiB, jobs, Minimum).Should().Be(expected);

    [Fact]
    public void A_shared_table_gets_one_big_part_per_connection_then_smaller_and_smaller_parts()
    {
        var bytes = 292 * MiB;
        var cuts = TableLoadPlan.CutsFor(bytes, 2, Minimum);

        var parts = cuts.Append(bytes).Zip(cuts.Prepend(0L), (end, start) => end - start).ToList();
        parts.Sum().Should().Be(bytes);
        parts.Take(2).Should().AllSatisfy(p => p.Should().Be((bytes - (bytes / 8)) / 2));
        parts.Skip(2).Should().BeInDescendingOrder().And.AllSatisfy(p => p.Should().BeLessThan(bytes / 16));
        parts.Should().HaveCount(2 + 4, "six tail parts would end under 4 MiB");
        parts[^1].Should().BeGreaterThanOrEqualTo(4 * MiB).And.BeLessThan(8 * MiB);
    }

    [Fact]
    public void A_table_for_one_connection_is_not_cut_and_tiny_minimums_still_give_a_bounded_number_of_parts()
    {
        TableLoadPlan.CutsFor(300 * MiB, 1, Minimum).Should().BeEmpty();
        TableLoadPlan.CutsFor(1000, 3, 64).Should().HaveCountLessThanOrEqualTo(3 + 9 - 1).And.BeInAscendingOrder().And.OnlyHaveUniqueItems();
        TableLoadPlan.CutsFor(64 * MiB, 2, Minimum).Should().Equal(28 * MiB, 56 * MiB); // a tail of 8 MiB in one part
        TableLoadPlan.CutsFor(16 * MiB, 2, Minimum).Should().Equal(8 * MiB); // a tail under 4 MiB is not cut off
        TableLoadPlan.CutsFor(1000, 3, 64).Should().AllSatisfy(c => c.Should().BeInRange(1, 999));
    }
}
