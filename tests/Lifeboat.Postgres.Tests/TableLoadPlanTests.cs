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
    public void A_table_gets_a_part_per_connection_only_when_it_is_longer_than_a_fair_share(long mib, long totalMib, int jobs, int expected) =>
        TableLoadPlan.PartsFor(mib * MiB, totalMib * MiB, jobs, Minimum).Should().Be(expected);

    [Fact]
    public void The_largest_table_leaves_room_in_one_part_for_the_other_tables()
    {
        var cuts = TableLoadPlan.CutsFor(354 * MiB, 2, 2, 20 * MiB, Minimum);

        cuts.Should().Equal((354 + 20) * MiB / 2);
        var shorter = 354 * MiB - cuts[0];
        (shorter + (20 * MiB)).Should().Be(cuts[0], "both connections get the same number of bytes");
    }

    [Fact]
    public void Parts_are_even_when_the_other_tables_would_make_one_too_short_or_not_every_connection_has_a_part()
    {
        TableLoadPlan.CutsFor(100 * MiB, 2, 2, 90 * MiB, Minimum).Should().Equal(50 * MiB);
        TableLoadPlan.CutsFor(300 * MiB, 3, 4, 20 * MiB, Minimum).Should().Equal(100 * MiB, 200 * MiB);
        TableLoadPlan.CutsFor(300 * MiB, 1, 4, 20 * MiB, Minimum).Should().BeEmpty();
    }
}
