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

        var scratch = await ScratchDatabase.CreateAsync(target, default);
        var again = () => ScratchDatabase.CreateAsync(target, default);
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

        var create = () => ScratchDatabase.CreateAsync(target, default);

        (await create.Should().ThrowAsync<InsufficientPrivilegeException>()).WithMessage("*may not create databases*ALTER ROLE no_createdb CREATEDB*");
    }
}
