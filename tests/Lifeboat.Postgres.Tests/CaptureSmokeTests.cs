using Lifeboat.Postgres.Tests.Support;

namespace Lifeboat.Postgres.Tests;

public sealed class CaptureSmokeTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task A_small_database_is_captured_with_hashes_rows_and_schema()
    {
        var c = fixture.Cluster;
        await c.CreateDatabaseAsync("smoke");
        await c.ExecuteAsync("""
            CREATE TABLE t (id serial PRIMARY KEY, s text);
            INSERT INTO t (s) SELECT 'row ' || g FROM generate_series(1, 1000) g;
            SELECT lo_from_bytea(0, '\x00010203'::bytea);
            """, "smoke");
        var store = new MemoryStreamStore();
        var manifest = await new PostgresCapture().CaptureAsync(PgConnectionInfo.Parse(c.Url("smoke")), store, new CaptureOptions { Jobs = 2 }, default);
        manifest.Tables.Should().ContainSingle(t => t.Name == "t").Which.Rows.Should().Be(1000);
        manifest.Sequences.Should().ContainSingle().Which.LastValue.Should().Be(1000);
        manifest.LargeObjects.Should().ContainSingle().Which.Bytes.Should().Be(4);
        store.Streams.Keys.Should().Contain(["manifest.json", "schema.pgdump", "data/public.t"]);
    }

    [Fact]
    public async Task A_database_whose_post_data_is_only_primary_keys_gets_them_without_a_pg_restore_run()
    {
        var c = fixture.Cluster;
        await c.CreateDatabaseAsync("keys_only");
        await c.ExecuteAsync("""
            CREATE TABLE a (id bigint PRIMARY KEY, s text);
            CREATE TABLE b (k text, n int, PRIMARY KEY (k, n));
            INSERT INTO a SELECT g, 'row ' || g FROM generate_series(1, 2000) g;
            INSERT INTO b SELECT 'k' || (g % 7), g FROM generate_series(1, 500) g;
            """, "keys_only");
        var store = new MemoryStreamStore();
        var manifest = await new PostgresCapture().CaptureAsync(PgConnectionInfo.Parse(c.Url("keys_only")), store, new CaptureOptions { Jobs = 2 }, default);
        await using (var archive = await SchemaArchive.ExtractAsync(store, manifest, default))
        {
            var plan = await IndexBuildPlan.CreateAsync(await PgToolset.FindAsync(c.MajorVersion, null, default), archive, manifest, default);
            plan.Builds.Should().HaveCount(2);
            plan.LeavesEntries.Should().BeFalse();
        }

        await c.CreateDatabaseAsync("keys_only_restored");
        await new PostgresRestore().RestoreAsync(store, manifest, PgConnectionInfo.Parse(c.Url("keys_only_restored")), new RestoreOptions { Jobs = 2 }, default);

        (await c.ScalarAsync<long>(
            "SELECT count(*) FROM pg_catalog.pg_constraint WHERE contype = 'p' AND conrelid IN ('public.a'::regclass, 'public.b'::regclass)", "keys_only_restored"))
            .Should().Be(2);
        var duplicate = () => c.ExecuteAsync("INSERT INTO b VALUES ('k1', 1)", "keys_only_restored");
        (await duplicate.Should().ThrowAsync<Npgsql.PostgresException>()).Which.SqlState.Should().Be("23505");
    }
}
