using Lifeboat.Operations.Drill;
using Lifeboat.Repository;

namespace Lifeboat.Operations.Tests;

public sealed class ChecksFileTests
{
    [Fact]
    public void The_documented_example_parses()
    {
        var file = DrillChecksFile.Parse("""
            required_tables:
              - public.orders
              - { table: auth.users, min_rows: 100 }
            assertions:
              - name: no order has a negative total
                sql: SELECT count(*) FROM order_totals WHERE total < 0
                expect: 0
              - name: a plausible number of orders
                sql: SELECT count(*) FROM orders
                min: 1000
                max: 10000000
            timeout: 90s
            """, "checks.yaml");

        file.RequiredTables.Should().Equal(new RequiredTable("public.orders"), new RequiredTable("auth.users", 100));
        file.Assertions.Should().HaveCount(2);
        file.Assertions[1].Should().Be(new SqlAssertion("a plausible number of orders", "SELECT count(*) FROM orders", null, 1000m, 10000000m));
        file.Timeout.Should().Be(TimeSpan.FromSeconds(90));
    }

    [Theory]
    [InlineData("assertions:\n  - name: x\n    sql: SELECT 1\n", "checks.yaml:2: assertion 'x' needs expect")]
    [InlineData("required_table:\n  - a\n", "checks.yaml:1: unknown key 'required_table'")]
    [InlineData("assertions:\n  - name: x\n    expect: 1\n", "checks.yaml:2: 'sql' is missing")]
    [InlineData("timeout: soon\n", "is not a duration")]
    public void Mistakes_are_reported_with_the_file_and_line(string yaml, string message)
    {
        var parse = () => DrillChecksFile.Parse(yaml, "checks.yaml");

        parse.Should().Throw<InvalidRequestException>().WithMessage($"*{message}*");
    }

    [Theory]
    [InlineData("0", "0", null, null, true)]
    [InlineData("0.00", "0", null, null, true)]
    [InlineData("3", "0", null, null, false)]
    [InlineData("true", "t", null, null, true)]
    [InlineData("abc", "abc", null, null, true)]
    [InlineData("150", null, 100, 200, true)]
    [InlineData("250", null, 100, 200, false)]
    [InlineData("x", null, 100, null, false)]
    public void Assertions_compare_numbers_as_numbers_and_ranges_inclusively(string actual, string? expect, int? min, int? max, bool passes) =>
        CustomChecks.Passes(new SqlAssertion("a", "SELECT 1", expect, min, max), actual).Should().Be(passes);

    [Theory]
    [InlineData("25h", 25 * 3600.0)]
    [InlineData("1h30m", 5400.0)]
    [InlineData("1ms", 0.001)]
    [InlineData("35d", 35 * 86400.0)]
    [InlineData("2w", 14 * 86400.0)]
    public void Durations_parse_as_people_write_them(string text, double seconds) =>
        Durations.Parse(text, "--x").TotalSeconds.Should().BeApproximately(seconds, 1e-9);
}
