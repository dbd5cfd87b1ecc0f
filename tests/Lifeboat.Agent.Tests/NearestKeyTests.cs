using Lifeboat.Agent.PlanFile;

namespace Lifeboat.Agent.Tests;

public sealed class NearestKeyTests
{
    private static readonly string[] PlanKeys = ["source", "repository", "backup", "check", "drill", "prune", "alerts", "channels", "tags"];

    [Theory]
    [InlineData("reposiotry", "repository")]
    [InlineData("sorce", "source")]
    [InlineData("chanels", "channels")]
    [InlineData("Backup", "backup")]
    public void A_typo_names_the_key_it_was_meant_to_be(string typo, string expected) =>
        NearestKey.Find(typo, PlanKeys).Should().Be(expected);

    [Fact]
    public void A_word_far_from_every_key_suggests_nothing() =>
        NearestKey.Find("compression_level", PlanKeys).Should().BeNull();

    [Fact]
    public void The_message_names_the_nearest_key_and_lists_the_valid_ones() =>
        NearestKey.UnknownKeyMessage("retension", "plan 'nightly'", ["retention", "tags"])
            .Should().Be("unknown key 'retension' in plan 'nightly'; did you mean 'retention'? (valid keys: retention, tags)");

    [Theory]
    [InlineData("", "abc", 3)]
    [InlineData("abc", "abc", 0)]
    [InlineData("ab", "ba", 1)]
    [InlineData("kitten", "sitting", 3)]
    public void Distance_counts_edits_with_a_swap_as_one(string a, string b, int expected) =>
        NearestKey.Distance(a, b).Should().Be(expected);
}
