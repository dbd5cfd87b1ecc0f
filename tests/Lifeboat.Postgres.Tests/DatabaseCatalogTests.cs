using Lifeboat.Postgres.Tests.Support;

namespace Lifeboat.Postgres.Tests;

/// <summary>The drill's read of a restored database (<see cref="DatabaseCatalog"/>).</summary>
public sealed class DatabaseCatalogTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private const string Schema = """"
        CREATE SCHEMA app;
        CREATE TABLE app.parent (id int PRIMARY KEY);
        CREATE TABLE app.child (id serial PRIMARY KEY, parent int);
        INSERT INTO app.parent SELECT generate_series(1, 3);
        INSERT INTO app.child (parent) SELECT g % 5 + 1 FROM generate_series(1, 10) g;
        ALTER TABLE app.child ADD CONSTRAINT child_parent FOREIGN KEY (parent) REFERENCES app.parent NOT VALID;
        SELECT setval('app.child_id_seq', 4);
        CREATE SEQUENCE app.loose START 7;
        SELECT nextval('app.loose');
        CREATE TABLE app.events (at date NOT NULL) PARTITION BY RANGE (at);
        CREATE TABLE app.events_2025 PARTITION OF app.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
        CREATE TABLE "Odd ""Name""" (v int);
        INSERT INTO "Odd ""Name""" SELECT generate_series(1, 10);
        ALTER TABLE app.parent ENABLE ROW LEVEL SECURITY;
        ALTER TABLE app.parent FORCE ROW LEVEL SECURITY;
        CREATE POLICY a ON app.parent USING (true);
        CREATE POLICY b ON app.parent USING (id > 0);
        """";

    [Fact]
    public async Task The_catalog_lists_user_tables_with_their_row_level_security_and_not_the_system_catalogs()
    {
        var target = await DatabaseAsync("catalog_tables");

        var tables = await DatabaseCatalog.ListTablesAsync(target, default);
        await using var catalog = await DatabaseCatalog.OpenReadOnlyAsync(target, default);
        var security = await catalog.ListRowSecurityAsync(default);

        tables.Should().BeEquivalentTo(new[]
        {
            new TableName("app", "parent"), new TableName("app", "child"), new TableName("app", "events"), new TableName("app", "events_2025"),
            new TableName("public", "Odd \"Name\""),
        });
        security.Should().HaveCount(5).And.ContainEquivalentOf(new TableSecurity(new TableName("app", "parent"), true, true, 2))
            .And.ContainEquivalentOf(new TableSecurity(new TableName("app", "child"), false, false, 0));
        catalog.ServerVersion.Should().StartWith(fixture.Cluster.MajorVersion + ".");
    }

    [Fact]
    public async Task Orphans_of_a_not_valid_key_are_counted_and_sequences_are_read_with_their_column()
    {
        await using var catalog = await DatabaseCatalog.OpenReadOnlyAsync(await DatabaseAsync("catalog_integrity"), default);

        var key = (await catalog.ListForeignKeysAsync(default)).Should().ContainSingle().Subject;
        key.Validated.Should().BeFalse();
        (await catalog.CountOrphansAsync(key, default)).Should().Be(new QueryOutcome<long>(4, null)); // parents 4 and 5, twice each
        var feed = (await catalog.ListSequenceFeedsAsync(default)).Should().ContainSingle().Subject;
        (feed.Sequence, feed.Column, feed.ColumnUnique).Should().Be(("child_id_seq", "id", true));
        (await catalog.ReadFeedAsync(feed, default)).Should().Be(new QueryOutcome<FeedValue>(new FeedValue(4, true, 10), null));
        (await catalog.IsTakenAsync(feed, 5, default)).Value.Should().BeTrue();
        (await catalog.IsTakenAsync(feed, 11, default)).Value.Should().BeFalse();
        (await catalog.ReadSequenceAsync(new TableName("app", "loose"), default)).Should().Be(new QueryOutcome<SequenceValue>(new SequenceValue(7, true), null));
    }

    [Fact]
    public async Task A_statement_that_fails_gives_its_error_and_the_read_only_transaction_goes_on()
    {
        await using var catalog = await DatabaseCatalog.OpenReadOnlyAsync(await DatabaseAsync("catalog_savepoint"), default);

        (await catalog.FirstRowAsync("SELECT 1 / 0", default)).Error.Should().Be("division by zero");
        (await catalog.FirstRowAsync("INSERT INTO app.parent VALUES (9)", default)).Error.Should().Contain("read-only transaction");
        (await catalog.ReadSequenceAsync(new TableName("app", "gone"), default)).Error.Should().Contain("does not exist");
        var none = await catalog.FirstRowAsync("SELECT 1 WHERE false", default);
        none.Error.Should().BeNull();
        none.Value.Should().BeEmpty();
        var (values, error) = await catalog.FirstRowAsync("SELECT 42, NULL::text", default);
        error.Should().BeNull();
        values.Should().Equal(42, null);
    }

    [Fact]
    public async Task A_required_table_is_found_by_its_name_and_its_rows_counted_up_to_the_limit()
    {
        await using var catalog = await DatabaseCatalog.OpenReadOnlyAsync(await DatabaseAsync("catalog_required"), default);

        var odd = (await catalog.FindTableAsync("\"Odd \"\"Name\"\"\"", default)).Value;
        odd.Should().Be(new TableName("public", "Odd \"Name\""));
        (await catalog.CountRowsAsync(odd!, 3, default)).Should().Be(new QueryOutcome<long>(3, null));
        (await catalog.CountRowsAsync(odd!, 100, default)).Value.Should().Be(10);
        (await catalog.FindTableAsync("app.child", default)).Value.Should().Be(new TableName("app", "child"));
        (await catalog.FindTableAsync("app.nosuch", default)).Should().Be(new QueryOutcome<TableName?>(null, null));
        (await catalog.FindTableAsync("a.b.c.d", default)).Error.Should().Contain("improper relation name");
    }

    [Fact]
    public async Task The_statement_timeout_stops_a_slow_query_with_an_error_and_the_next_one_runs()
    {
        await using var catalog = await DatabaseCatalog.OpenReadOnlyAsync(await DatabaseAsync("catalog_timeout"), default);

        await catalog.SetStatementTimeoutAsync(TimeSpan.FromMilliseconds(100), default);

        (await catalog.FirstRowAsync("SELECT pg_sleep(5)", default)).Error.Should().Contain("statement timeout");
        (await catalog.FirstRowAsync("SELECT 'still here'", default)).Value.Should().Equal("still here");
    }

    [Fact]
    public async Task A_table_that_cannot_be_read_gives_the_error_instead_of_a_checksum()
    {
        var target = await DatabaseAsync("catalog_checksum");
        var table = new TableEntry { Schema = "app", Name = "gone", Kind = "table", Columns = ["id"] };

        var outcome = await PostgresVerifier.TryComputeChecksumAsync(target, table, default);

        outcome.Error.Should().Contain("\"app.gone\" does not exist");
        (await PostgresVerifier.TryComputeChecksumAsync(target, table with { Name = "parent" }, default)).Value.Rows.Should().Be(3);
    }

    private async Task<PgConnectionInfo> DatabaseAsync(string name)
    {
        await fixture.Cluster.CreateDatabaseAsync(name);
        await fixture.Cluster.ExecuteAsync(Schema, name);
        return PgConnectionInfo.Parse(fixture.Cluster.Url(name));
    }
}
