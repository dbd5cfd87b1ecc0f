using Lifeboat.Postgres.Tests.Support;

namespace Lifeboat.Postgres.Tests;

public sealed class ErrorTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private static readonly CaptureOptions OneJob = new() { Jobs = 1 };

    [Fact]
    public async Task An_unreachable_host_gives_a_typed_error_without_the_password()
    {
        var conn = PgConnectionInfo.Parse("postgresql://someone:S3cretPw@127.0.0.1:1/db");
        var act = () => new PostgresCapture().CaptureAsync(conn, new MemoryStreamStore(), OneJob, default);
        var error = (await act.Should().ThrowAsync<DatabaseUnreachableException>()).Which;
        error.Message.Should().Contain("connection refused").And.Contain("postgres://someone:***@127.0.0.1:1/db").And.NotContain("S3cretPw");
    }

    [Fact]
    public async Task A_wrong_password_gives_an_authentication_error_without_the_password()
    {
        var conn = PgConnectionInfo.Parse(fixture.Cluster.Url(password: "Wr0ngPassw0rd"));
        var act = () => new PostgresCapture().CaptureAsync(conn, new MemoryStreamStore(), OneJob, default);
        var error = (await act.Should().ThrowAsync<AuthenticationFailedException>()).Which;
        error.Message.Should().Contain("Authentication failed for user \"postgres\"").And.NotContain("Wr0ngPassw0rd");
    }

    [Fact]
    public async Task An_unknown_database_gives_a_typed_error()
    {
        var conn = PgConnectionInfo.Parse(fixture.Cluster.Url("no_such_db"));
        var act = () => new PostgresRestore().RestoreAsync(new MemoryStreamStore(), null!, conn, new RestoreOptions(), default);
        (await act.Should().ThrowAsync<DatabaseNotFoundException>()).Which.Message.Should().Contain("\"no_such_db\" does not exist");
    }

    [Fact]
    public async Task A_server_that_ends_the_connections_in_the_middle_of_a_backup_is_named_in_the_error()
    {
        await fixture.Cluster.CreateDatabaseAsync("ended");
        await fixture.Cluster.ExecuteAsync("CREATE TABLE t AS SELECT g AS id, repeat('x', 200) AS pad FROM generate_series(1, 20000) g", "ended");
        var conn = PgConnectionInfo.Parse(fixture.Cluster.Url("ended", password: fixture.Cluster.SuperPassword));
        var act = () => new PostgresCapture().CaptureAsync(conn, new TerminatingSink(fixture.Cluster, "ended"), new CaptureOptions { Jobs = 2 }, default);
        var error = (await act.Should().ThrowAsync<PostgresLifeboatException>()).Which;
        error.Message.Should().Contain($"127.0.0.1:{fixture.Cluster.Port}/ended").And.NotContain(fixture.Cluster.SuperPassword);
    }

    [Fact]
    public async Task A_too_old_pg_dump_fails_before_any_work_and_says_what_to_install()
    {
        using var tools = new FakeTools("9.6.24");
        var store = new MemoryStreamStore();
        var conn = PgConnectionInfo.Parse(fixture.Cluster.Url());
        var act = () => new PostgresCapture().CaptureAsync(conn, store, new CaptureOptions { PgBinDirectory = tools.Directory }, default);
        var error = (await act.Should().ThrowAsync<PgToolNotFoundException>()).Which;
        error.RequiredMajorVersion.Should().Be(fixture.Cluster.MajorVersion);
        error.Message.Should().Contain($"apt-get install postgresql-client-{fixture.Cluster.MajorVersion}").And.Contain("found only 9");
        store.Streams.Should().BeEmpty();
    }

    [Fact]
    public async Task The_matching_client_tools_are_found_on_this_machine()
    {
        var tools = await PgToolset.FindAsync(fixture.Cluster.MajorVersion, null, default);
        tools.MajorVersion.Should().BeGreaterThanOrEqualTo(fixture.Cluster.MajorVersion);
        File.Exists(tools.PgRestore).Should().BeTrue();
    }

    [Fact]
    public async Task A_missing_privilege_names_the_table_and_the_grant_needed()
    {
        await fixture.Cluster.CreateDatabaseAsync("privs");
        await fixture.Cluster.CreateRoleAsync("reader", "reader-pw");
        await fixture.Cluster.ExecuteAsync("CREATE TABLE secret (x int); CREATE TABLE open (x int); GRANT SELECT ON open TO reader", "privs");
        var conn = PgConnectionInfo.Parse(fixture.Cluster.Url("privs", "reader", "reader-pw"));
        var act = () => new PostgresCapture().CaptureAsync(conn, new MemoryStreamStore(), OneJob, default);
        (await act.Should().ThrowAsync<InsufficientPrivilegeException>()).Which.Message
            .Should().Contain("\"public\".\"secret\"").And.Contain("GRANT SELECT ON \"public\".\"secret\" TO \"reader\"");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Forced_row_level_security_is_reported_instead_of_silently_filtering_rows(bool throughPsql)
    {
        var suffix = throughPsql ? "_psql" : "";
        await fixture.Cluster.CreateRoleAsync("rls_owner" + suffix, "rls-pw");
        await fixture.Cluster.CreateDatabaseAsync("rls" + suffix, "rls_owner" + suffix);
        var conn = PgConnectionInfo.Parse(fixture.Cluster.Url("rls" + suffix, "rls_owner" + suffix, "rls-pw"));
        await using (var c = new Npgsql.NpgsqlConnection(conn.ToConnectionStringBuilder().ConnectionString))
        {
            await c.OpenAsync();
            await using var cmd = new Npgsql.NpgsqlCommand("""
                CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2);
                ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t FORCE ROW LEVEL SECURITY;
                CREATE POLICY only_one ON t USING (x = 1);
                """, c);
            await cmd.ExecuteNonQueryAsync();
        }
        var options = OneJob with { PsqlCopyMinBytes = throughPsql ? 0 : long.MaxValue };
        var act = () => new PostgresCapture().CaptureAsync(conn, new MemoryStreamStore(), options, default);
        var error = (await act.Should().ThrowAsync<InsufficientPrivilegeException>()).Which;
        error.Message.Should().Contain("BYPASSRLS").And.Contain("\"public\".\"t\"").And.NotContain("rls-pw");
    }
}

/// <summary>A sink that, at the first stream, ends every other connection to the database, as a server shutdown would.</summary>
internal sealed class TerminatingSink(ThrowawayCluster cluster, string database) : IStreamSink
{
    private readonly MemoryStreamStore _inner = new();
    private int _terminated;

    public async Task<StoredStream> WriteStreamAsync(string name, Stream content, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _terminated, 1) == 0)
            await cluster.ExecuteAsync(
                $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}' AND pid <> pg_backend_pid()", "postgres");
        return await _inner.WriteStreamAsync(name, content, cancellationToken);
    }
}
