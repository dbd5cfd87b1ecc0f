using System.Text;
using Lifeboat.Postgres.Tests.Support;

namespace Lifeboat.Postgres.Tests;

/// <summary>Tables read in primary key order, so new rows land at the end of the stream whatever page they are on.</summary>
public sealed class OrderedCaptureTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    /// <summary>A new database; statements separated by a line "--" run one by one (VACUUM cannot run in a batch).</summary>
    private async Task<string> DatabaseAsync(string prefix, string sql)
    {
        var name = prefix + "_" + Guid.NewGuid().ToString("N")[..8];
        await fixture.Cluster.CreateDatabaseAsync(name);
        foreach (var statement in sql.Split("\n--\n"))
            await fixture.Cluster.ExecuteAsync(statement, name);
        return name;
    }

    private async Task<(BackupManifest Manifest, MemoryStreamStore Store)> CaptureAsync(string database, bool physicalOrder = false, long psqlMinBytes = long.MaxValue)
    {
        var store = new MemoryStreamStore();
        var manifest = await new PostgresCapture().CaptureAsync(PgConnectionInfo.Parse(fixture.Cluster.Url(database)), store,
            new CaptureOptions { Jobs = 2, PhysicalOrder = physicalOrder, PsqlCopyMinBytes = psqlMinBytes }, default);
        return (manifest, store);
    }

    private static long[] FirstColumn(MemoryStreamStore store, TableEntry table) =>
        [.. Encoding.UTF8.GetString(store.Streams[table.Stream!]).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => long.Parse(l.Split('\t')[0]))];

    // Rows of varied size, VACUUM frees space on early pages, and new rows (higher ids) go there.
    private const string Reused = """
        CREATE TABLE events (id bigint PRIMARY KEY, body text NOT NULL);
        INSERT INTO events SELECT g, repeat('x', 100 + (g * 7919) % 500) FROM generate_series(1, 20000) g;
        DELETE FROM events WHERE id % 50 = 0 AND id < 10000;
        --
        VACUUM events;
        --
        INSERT INTO events SELECT g, repeat('y', 100) FROM generate_series(20001, 20300) g;
        ANALYZE events;
        """;

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(0L)]
    public async Task A_table_with_a_growing_key_in_about_key_order_is_read_in_key_order_by_either_reader(long psqlMinBytes)
    {
        var database = await DatabaseAsync("ordered", Reused);
        (await fixture.Cluster.ScalarAsync<long>("SELECT count(*) FROM events WHERE id > 20000 AND ctid < '(100,0)'", database))
            .Should().BePositive("some new rows went into space freed on early pages");

        var (manifest, store) = await CaptureAsync(database, psqlMinBytes: psqlMinBytes);

        var events = manifest.Tables.Single(t => t.Name == "events");
        events.OrderedBy.Should().Equal("id");
        var ids = FirstColumn(store, events);
        ids.Should().BeInAscendingOrder().And.HaveCount(20000 - 199 + 300);
        ids[^300..].Should().Equal(Enumerable.Range(20001, 300).Select(i => (long)i), "the new rows are the stream's end");
    }

    [Fact]
    public async Task Physical_order_reads_the_rows_where_they_lie_and_records_no_order()
    {
        var database = await DatabaseAsync("physical", Reused);

        var (manifest, store) = await CaptureAsync(database, physicalOrder: true);

        var events = manifest.Tables.Single(t => t.Name == "events");
        events.OrderedBy.Should().BeNull();
        manifest.Options.PhysicalOrder.Should().BeTrue();
        FirstColumn(store, events).Should().NotBeInAscendingOrder();
    }

    [Fact]
    public async Task Tables_without_a_growing_key_statistics_key_order_on_disk_or_wide_rows_are_read_in_physical_order()
    {
        var database = await DatabaseAsync("unordered", """
            CREATE TABLE by_uuid (id uuid PRIMARY KEY, n int);
            INSERT INTO by_uuid SELECT gen_random_uuid(), g FROM generate_series(1, 2000) g;
            CREATE TABLE no_key (n int);
            INSERT INTO no_key SELECT g FROM generate_series(1, 2000) g;
            CREATE TABLE shuffled (id int PRIMARY KEY, body text);
            INSERT INTO shuffled SELECT g, repeat('s', 300) FROM generate_series(1, 2000) g ORDER BY random();
            CREATE TABLE never_analyzed (id int PRIMARY KEY, body text);
            ANALYZE by_uuid, no_key, shuffled;
            INSERT INTO never_analyzed SELECT g, repeat('n', 300) FROM generate_series(1, 2000) g;
            CREATE TABLE narrow (id bigint PRIMARY KEY, n int);
            INSERT INTO narrow SELECT g, g FROM generate_series(1, 2000) g;
            CREATE TABLE composite (tenant int, seq bigint, body text, PRIMARY KEY (tenant, seq));
            INSERT INTO composite SELECT g / 100, g, repeat('z', 300) FROM generate_series(1, 2000) g;
            ANALYZE narrow, composite;
            """);

        var (manifest, _) = await CaptureAsync(database);

        manifest.Tables.Where(t => t.OrderedBy is not null).Select(t => (t.Name, string.Join(",", t.OrderedBy!)))
            .Should().Equal(("composite", "tenant,seq"));
    }
}
