namespace Lifeboat.Postgres.Tests;

public sealed class NamingTests
{
    [Theory]
    [InlineData("public.*", "public", "anything", false, true)]
    [InlineData("public.*", "other", "anything", true, false)]
    [InlineData("Users", "app", "users", true, true)]
    [InlineData("Users", "app", "users", false, false)]
    [InlineData("\"Users\"", "app", "Users", true, true)]
    [InlineData("\"Users\"", "app", "users", true, false)]
    [InlineData("a?c", "s", "abc", true, true)]
    [InlineData("s.a?c", "s", "abbc", true, false)]
    [InlineData("\"My Schema\".\"odd.name*\"", "My Schema", "odd.name*", false, true)]
    [InlineData("\"My Schema\".\"odd.name*\"", "My Schema", "odd.namex", false, false)]
    [InlineData("*.log_*", "x", "log_2024", false, true)]
    public void Table_patterns_follow_pg_dump_semantics(string pattern, string schema, string name, bool visible, bool expected)
        => NamePattern.Table(pattern).MatchesTable(schema, name, visible).Should().Be(expected);

    [Fact]
    public void Schema_patterns_fold_case_and_reject_dots()
    {
        NamePattern.Schema("Auth*").MatchesSchema("auth_x").Should().BeTrue();
        var act = () => NamePattern.Schema("a.b");
        act.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Stream_names_encode_schema_and_table_unambiguously()
    {
        StreamNames.TableData("public", "users").Should().Be("data/public.users");
        StreamNames.TableData("a.b", "c").Should().Be("data/a%2Eb.c");
        StreamNames.TableData("a", "b.c").Should().Be("data/a.b%2Ec");
        StreamNames.TableData("My Schema", "żółw/\"x\"").Should().Be("data/My%20Schema.%C5%BC%C3%B3%C5%82w%2F%22x%22");
        StreamNames.LargeObject(16395).Should().Be("lo/16395");
    }

    [Theory]
    [InlineData("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)", 15)]
    [InlineData("pg_dump (PostgreSQL) 9.6.24", 9)]
    [InlineData("pg_dump (PostgreSQL) 17beta1", 17)]
    public void Pg_dump_versions_are_parsed(string output, int major)
        => PgToolset.ParseVersion(output)!.Value.Major.Should().Be(major);
}
