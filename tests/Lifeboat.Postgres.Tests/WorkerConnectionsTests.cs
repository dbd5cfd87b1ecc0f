using Lifeboat.Postgres.Tests.Support;
using Npgsql;

namespace Lifeboat.Postgres.Tests;

public sealed class WorkerConnectionsTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private PgConnectionInfo Target => PgConnectionInfo.Parse(fixture.Cluster.Url("postgres"));

    private static async Task<int> BackendPidAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
        return (int)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Connections_opened_ahead_are_handed_out_first_and_a_returned_one_serves_the_next_step()
    {
        await using var workers = new WorkerConnections(Target);
        workers.OpenAhead(2, default);

        var first = await workers.RentAsync(default);
        var second = await workers.RentAsync(default);
        var pids = new[] { await BackendPidAsync(first), await BackendPidAsync(second) };
        pids.Should().OnlyHaveUniqueItems();
        await workers.ReturnAsync(first);
        await workers.ReturnAsync(second);

        var again = await workers.RentAsync(default);
        pids.Should().Contain(await BackendPidAsync(again), "the next step reuses a connection instead of opening one");
        await workers.ReturnAsync(again);
    }

    [Fact]
    public async Task A_connection_that_is_not_open_is_closed_on_return_and_a_new_one_is_opened_next()
    {
        await using var workers = new WorkerConnections(Target);
        var broken = await workers.RentAsync(default);
        var brokenPid = await BackendPidAsync(broken);
        await broken.CloseAsync();
        await workers.ReturnAsync(broken);

        var next = await workers.RentAsync(default);
        (await BackendPidAsync(next)).Should().NotBe(brokenPid);
        await workers.ReturnAsync(next);
    }

    [Fact]
    public async Task A_connection_that_could_not_be_opened_ahead_fails_the_step_that_takes_it_with_the_usual_error()
    {
        var unreachable = PgConnectionInfo.Parse(fixture.Cluster.Url("no_such_database"));
        await using var workers = new WorkerConnections(unreachable);
        workers.OpenAhead(1, default);

        var act = () => workers.RentAsync(default);
        (await act.Should().ThrowAsync<DatabaseNotFoundException>()).Which.Message.Should().Contain("no_such_database");
    }
}
