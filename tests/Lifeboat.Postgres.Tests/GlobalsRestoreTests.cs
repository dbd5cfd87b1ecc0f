using Lifeboat.Postgres.Tests.Support;

namespace Lifeboat.Postgres.Tests;

public sealed class GlobalsRestoreTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    [Fact]
    public void The_statements_of_a_pg_dumpall_script_are_split_outside_quotes_without_comments_or_meta_commands()
    {
        const string script = """
            --
            -- PostgreSQL database cluster dump
            --

            \restrict abc123

            SET default_transaction_read_only = off;
            SET client_encoding = 'UTF8';

            --
            -- Roles
            --

            CREATE ROLE "odd;name";
            ALTER ROLE "odd;name" WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN;
            COMMENT ON ROLE "odd;name" IS 'it''s; a
            two-line -- comment';
            GRANT app_owner TO "odd;name" GRANTED BY postgres;

            \unrestrict abc123

            --
            -- PostgreSQL database cluster dump complete
            --
            """;

        GlobalsRestore.Statements(script).Should().Equal(
            "SET default_transaction_read_only = off",
            "SET client_encoding = 'UTF8'",
            "CREATE ROLE \"odd;name\"",
            "ALTER ROLE \"odd;name\" WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN",
            "COMMENT ON ROLE \"odd;name\" IS 'it''s; a\ntwo-line -- comment'",
            "GRANT app_owner TO \"odd;name\" GRANTED BY postgres");
    }

    [Fact]
    public async Task Roles_owners_and_memberships_are_recreated_in_another_cluster_before_the_schema()
    {
        var source = fixture.Cluster;
        await source.ExecuteAsync("""
            CREATE ROLE app_owner NOLOGIN;
            CREATE ROLE app_reader LOGIN;
            GRANT app_owner TO app_reader;
            """);
        await source.CreateDatabaseAsync("globals_src", owner: "app_owner");
        await source.ExecuteAsync("""
            SET ROLE app_owner;
            CREATE TABLE owned (id int PRIMARY KEY, v text);
            INSERT INTO owned SELECT g, 'v' || g FROM generate_series(1, 100) g;
            GRANT SELECT ON owned TO app_reader;
            """, "globals_src");
        var store = new MemoryStreamStore();
        var manifest = await new PostgresCapture().CaptureAsync(PgConnectionInfo.Parse(source.Url("globals_src")), store, new CaptureOptions { Jobs = 2, Globals = true }, default);
        manifest.Globals.Should().NotBeNull();

        await using var other = await ThrowawayCluster.StartAsync();
        await other.CreateDatabaseAsync("globals_dst");
        var restore = new PostgresRestore();
        var globals = await restore.RestoreAsync(store, manifest, PgConnectionInfo.Parse(other.Url("globals_dst")), new RestoreOptions { Jobs = 2, Globals = true }, default);

        globals!.Existed.Should().ContainSingle().Which.Should().Contain("\"postgres\" already exists");
        (await other.ScalarAsync<string>("SELECT tableowner FROM pg_tables WHERE tablename = 'owned'", "globals_dst")).Should().Be("app_owner");
        (await other.ScalarAsync<bool>("SELECT pg_has_role('app_reader', 'app_owner', 'MEMBER')")).Should().BeTrue();
        (await other.ScalarAsync<bool>("SELECT has_table_privilege('app_reader', 'public.owned', 'SELECT')", "globals_dst")).Should().BeTrue();
        (await other.ScalarAsync<long>("SELECT count(*) FROM owned", "globals_dst")).Should().Be(100);
    }

    [Fact]
    public async Task A_restoring_role_that_may_not_create_roles_stops_before_the_schema_naming_the_refusal()
    {
        var source = fixture.Cluster;
        await source.ExecuteAsync("CREATE ROLE refused_role NOLOGIN");
        await source.CreateDatabaseAsync("refusal_src");
        await source.ExecuteAsync("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);", "refusal_src");
        var store = new MemoryStreamStore();
        var manifest = await new PostgresCapture().CaptureAsync(PgConnectionInfo.Parse(source.Url("refusal_src")), store, new CaptureOptions { Jobs = 1, Globals = true }, default);

        await using var other = await ThrowawayCluster.StartAsync();
        await other.CreateRoleAsync("restorer", "restorer-pw");
        await other.CreateDatabaseAsync("refusal_dst", owner: "restorer");
        var target = PgConnectionInfo.Parse(other.Url("refusal_dst", "restorer", "restorer-pw"));
        var act = () => new PostgresRestore().RestoreAsync(store, manifest, target, new RestoreOptions { Jobs = 2, Globals = true }, default);

        var error = (await act.Should().ThrowAsync<RestoreFailedException>()).Which;
        error.ObjectName.Should().Be("roles and tablespaces");
        error.Message.Should().Contain("42501").And.Contain("Nothing of the database was restored").And.NotContain("restorer-pw");
        (await other.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", "refusal_dst")).Should().Be(0);
    }

    [Fact]
    public async Task A_snapshot_taken_without_globals_is_refused_by_a_restore_with_globals_before_anything_is_restored()
    {
        var cluster = fixture.Cluster;
        await cluster.CreateDatabaseAsync("no_globals_src");
        await cluster.ExecuteAsync("CREATE TABLE t (id int); INSERT INTO t VALUES (1);", "no_globals_src");
        var store = new MemoryStreamStore();
        var manifest = await new PostgresCapture().CaptureAsync(PgConnectionInfo.Parse(cluster.Url("no_globals_src")), store, new CaptureOptions { Jobs = 1 }, default);
        await cluster.CreateDatabaseAsync("no_globals_dst");

        var restore = () => new PostgresRestore().RestoreAsync(store, manifest, PgConnectionInfo.Parse(cluster.Url("no_globals_dst")), new RestoreOptions { Globals = true }, default);

        (await restore.Should().ThrowAsync<InvalidRestoreRequestException>()).WithMessage("This snapshot holds no roles or tablespaces: it was taken without --globals*Restore without --globals.");
        (await cluster.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname = 't'", "no_globals_dst")).Should().Be(0);
        var named = () => manifest.RequireGlobals("Snapshot 1a2b3c4d");
        named.Should().Throw<InvalidRestoreRequestException>().WithMessage("Snapshot 1a2b3c4d holds no roles*");
    }
}
