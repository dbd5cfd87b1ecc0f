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
}
