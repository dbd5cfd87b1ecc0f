using Lifeboat.Postgres.Tests.Support;

namespace Lifeboat.Postgres.Tests;

/// <summary>The database a drill creates for itself on the scratch server (<see cref="ScratchDatabase"/>).</summary>
public sealed class ScratchDatabaseTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task A_scratch_database_is_created_new_and_dropped_while_a_session_is_still_connected()
    {
        var cluster = fixture.Cluster;
        var target = PgConnectionInfo.Parse(cluster.Url()).WithDatabase("drill \"scratch\"");

        var scratch = await ScratchDatabase.CreateAsync(target, "0123abcd", null, default);
        var again = () => ScratchDatabase.CreateAsync(target, "0123abcd", null, default);
        (await again.Should().ThrowAsync<TargetNotEmptyException>()).WithMessage("*exists already on the scratch server*");
        await using (var session = await PgErrors.OpenAsync(scratch.Connection, default))
        {
            await scratch.DropAsync(default);
        }

        (await cluster.ScalarAsync<long>("SELECT count(*) FROM pg_database WHERE datname = 'drill \"scratch\"'")).Should().Be(0);
        await scratch.DropAsync(default); // gone already: nothing to do
    }

    [Fact]
    public async Task A_role_that_may_not_create_databases_is_told_to_get_createdb_for_the_scratch_server()
    {
        var cluster = fixture.Cluster;
        await cluster.CreateRoleAsync("no_createdb", "pw");
        var target = PgConnectionInfo.Parse(cluster.Url("postgres", "no_createdb", "pw")).WithDatabase("scratch_refused");

        var create = () => ScratchDatabase.CreateAsync(target, "0123abcd", null, default);

        (await create.Should().ThrowAsync<InsufficientPrivilegeException>()).WithMessage("*may not create databases*ALTER ROLE no_createdb CREATEDB*");
    }

    [Fact]
    public async Task A_scratch_database_left_by_a_drill_whose_process_is_gone_is_dropped_by_the_next_one_and_one_still_in_use_stays()
    {
        var cluster = fixture.Cluster;
        var server = PgConnectionInfo.Parse(cluster.Url());
        // this pid with another start time: the process that made it is gone (its pid was reused)
        var gone = new ProcessMark(Environment.ProcessId, Environment.MachineName, new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await cluster.CreateDatabaseAsync("drill_left_killed");
        await cluster.ExecuteAsync($"COMMENT ON DATABASE drill_left_killed IS 'Lifeboat drill of snapshot 0123abcd ({gone}). If that process no longer runs, this is an incomplete drill: drop it.'");
        await cluster.CreateDatabaseAsync("drill_left_running");
        await cluster.ExecuteAsync($"COMMENT ON DATABASE drill_left_running IS 'Lifeboat drill of snapshot 0123abcd ({ProcessMark.Current()}). If that process no longer runs, this is an incomplete drill: drop it.'");
        var notices = new List<string>();

        var scratch = await ScratchDatabase.CreateAsync(server.WithDatabase("drill_new"), "4567cdef", notices.Add, default);

        (await cluster.ScalarAsync<long>("SELECT count(*) FROM pg_database WHERE datname = 'drill_left_killed'")).Should().Be(0);
        (await cluster.ScalarAsync<long>("SELECT count(*) FROM pg_database WHERE datname = 'drill_left_running'")).Should().Be(1, "its drill still runs");
        notices.Should().ContainSingle().Which.Should().Be(
            $"removed database \"drill_left_killed\": an incomplete drill left by process {Environment.ProcessId}, which ended without finishing");
        (await cluster.ScalarAsync<string>("SELECT pg_catalog.shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = 'drill_new'"))
            .Should().StartWith("Lifeboat drill of snapshot 4567cdef (process ").And.EndWith("this is an incomplete drill: drop it.");

        await scratch.KeepAsync("4567cdef", default);
        await ScratchDatabase.CreateAsync(server.WithDatabase("drill_after_keep"), "4567cdef", null, default);
        (await cluster.ScalarAsync<long>("SELECT count(*) FROM pg_database WHERE datname = 'drill_new'")).Should().Be(1, "a kept database is no leftover");
        await scratch.DropAsync(default);
        await cluster.ExecuteAsync("DROP DATABASE drill_left_running");
        await cluster.ExecuteAsync("DROP DATABASE drill_after_keep");
    }
}
