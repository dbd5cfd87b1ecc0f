using Lifeboat.Postgres.Tests.Support;
using Npgsql;

namespace Lifeboat.Postgres.Tests;

/// <summary>Change capture's prerequisites on a server without logical WAL, and through poolers.</summary>
public sealed class ChangeCapturePrerequisiteTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task A_server_without_logical_wal_is_refused_with_the_setting_and_the_restart_it_needs()
    {
        var c = fixture.Cluster;
        await c.CreateDatabaseAsync("replica_level");
        var start = () => ChangeCapture.StartAsync(PgConnectionInfo.Parse(c.Url("replica_level")), new ChangeCaptureOptions(), default);

        var error = (await start.Should().ThrowAsync<WalLevelNotLogicalException>()).Which;
        error.WalLevel.Should().Be("replica");
        error.Message.Should().Contain("wal_level = logical").And.Contain("restart");
        (await c.ScalarAsync<long>("SELECT count(*) FROM pg_publication", "replica_level")).Should().Be(0);
    }

    [Fact]
    public async Task Supabases_pooler_is_refused_before_connecting_with_the_direct_connection_to_use()
    {
        var source = PgConnectionInfo.Parse("postgresql://postgres.abcd:secret@aws-0-eu-central-1.pooler.supabase.com:6543/postgres");
        var start = () => ChangeCapture.StartAsync(source, new ChangeCaptureOptions(), default);

        var error = (await start.Should().ThrowAsync<ReplicationThroughPoolerException>()).Which;
        error.Message.Should().Contain("direct connection").And.NotContain("secret");
    }

    [Fact]
    public void A_pooler_refusing_the_replication_startup_parameter_is_named_as_such()
    {
        var source = PgConnectionInfo.Parse("postgresql://app:secret@db.internal:6432/app");
        var refusal = new PostgresException("unsupported startup parameter: replication", "FATAL", "FATAL", PostgresErrorCodes.ProtocolViolation);

        var error = ChangeCapturePrerequisites.MapReplicationConnect(refusal, source);

        error.Should().BeOfType<ReplicationThroughPoolerException>().Which.Message.Should().Contain("directly").And.NotContain("secret");
    }

    [Fact]
    public async Task Invalid_slot_names_are_refused_before_connecting()
    {
        var start = () => ChangeCapture.StartAsync(PgConnectionInfo.Parse("postgresql://u@127.0.0.1:1/db"), new ChangeCaptureOptions { SlotName = "Bad-Name" }, default);

        (await start.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("Bad-Name");
    }
}
