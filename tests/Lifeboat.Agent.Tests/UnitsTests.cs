using Lifeboat.Agent.PlanFile;

namespace Lifeboat.Agent.Tests;

public sealed class UnitsTests
{
    [Theory]
    [InlineData("30s", 30)]
    [InlineData("15m", 900)]
    [InlineData("6h", 21600)]
    [InlineData("7d", 604800)]
    [InlineData("1h30m", 5400)]
    public void A_duration_reads_in_days_hours_minutes_and_seconds(string text, int seconds)
    {
        Units.ParseDuration(text).Should().Be(TimeSpan.FromSeconds(seconds));
        Units.FormatDuration(TimeSpan.FromSeconds(seconds)).Should().Be(text);
    }

    [Theory]
    [InlineData("")]
    [InlineData("6")]
    [InlineData("6 h")]
    [InlineData("1.5h")]
    [InlineData("-1h")]
    [InlineData("6H")]
    public void Anything_else_is_not_a_duration(string text) => Units.ParseDuration(text).Should().BeNull();

    [Theory]
    [InlineData("500GiB", 500L * 1024 * 1024 * 1024)]
    [InlineData("1TB", 1_000_000_000_000L)]
    [InlineData("1.5KiB", 1536L)]
    [InlineData("42", 42L)]
    public void A_size_reads_in_decimal_and_binary_units(string text, long bytes) => Units.ParseSize(text).Should().Be(bytes);

    [Theory]
    [InlineData("lots")]
    [InlineData("5XB")]
    [InlineData("0")]
    public void Anything_else_is_not_a_size(string text) => Units.ParseSize(text).Should().BeNull();
}
