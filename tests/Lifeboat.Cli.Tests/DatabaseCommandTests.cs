using System.Text.Json;

namespace Lifeboat.Cli.Tests;

public sealed class DatabaseCommandTests : IClassFixture<DatabaseFixture>, IDisposable
{
    private readonly DatabaseFixture _db;
    private readonly TestRepo _repo = new();

    public DatabaseCommandTests(DatabaseFixture db)
    {
        _db = db;
        _db.UsePassword(_repo.Cli);
    }

    [Fact]
    public async Task A_database_backed_up_and_restored_with_create_and_verify_is_identical()
    {
        await _repo.InitAsync();

        var backup = await _repo.Cli.RunAsync("backup", "--db", _db.Url("app"), "--jobs", "2", "--json");
        backup.ExitCode.Should().Be(0, backup.ToString());
        var restore = await _repo.Cli.RunAsync("restore", "latest", "--to", _db.Url("app_copy1"), "--create", "--verify", "--json");

        restore.ExitCode.Should().Be(0, restore.ToString());
        using var json = JsonDocument.Parse(restore.Stdout);
        json.RootElement.GetProperty("verification").GetProperty("ok").GetBoolean().Should().BeTrue();
        (await _db.ChecksumsAsync("app_copy1")).Should().BeEquivalentTo(await _db.ChecksumsAsync("app"));
    }

    [Fact]
    public async Task A_physical_order_backup_restored_without_splitting_is_identical()
    {
        await _repo.InitAsync();

        var backup = await _repo.Cli.RunAsync("backup", "--db", _db.Url("app"), "--physical-order", "--json");
        backup.ExitCode.Should().Be(0, backup.ToString());
        var manifest = await _repo.Cli.RunAsync("dump", "latest", "manifest.json");
        var restore = await _repo.Cli.RunAsync("restore", "latest", "--to", _db.Url("app_copy_whole"), "--create", "--no-split", "--verify", "--json");

        using (var json = JsonDocument.Parse(manifest.Stdout))
        {
            json.RootElement.GetProperty("options").GetProperty("physicalOrder").GetBoolean().Should().BeTrue();
            json.RootElement.GetProperty("tables").EnumerateArray().Where(t => t.TryGetProperty("orderedBy", out var _)).Should().BeEmpty();
        }
        restore.ExitCode.Should().Be(0, restore.ToString());
        (await _db.ChecksumsAsync("app_copy_whole")).Should().BeEquivalentTo(await _db.ChecksumsAsync("app"));
    }

    [Fact]
    public async Task A_table_the_backup_does_not_hold_is_exit_13_and_an_ambiguous_request_exit_2()
    {
        await _repo.InitAsync();
        (await _repo.Cli.RunAsync("backup", "--db", _db.Url("app"))).ExitCode.Should().Be(0);

        var missing = await _repo.Cli.RunAsync("restore", "latest", "--to", _db.Url("app"), "--table", "public.no_such_table", "--as", "x");
        var swapAs = await _repo.Cli.RunAsync("restore", "latest", "--to", _db.Url("app"), "--table", "public.notes", "--swap", "--as", "x");

        missing.ExitCode.Should().Be(13, missing.ToString());
        missing.Stderr.Should().Contain("no table \"public.no_such_table\"").And.NotContain("unexpected");
        swapAs.ExitCode.Should().Be(2, swapAs.ToString());
        swapAs.Stderr.Should().NotContain("unexpected");
    }

    [Fact]
    public async Task Restore_globals_applies_the_roles_of_a_globals_backup_and_refuses_a_snapshot_without_them()
    {
        await _repo.InitAsync();
        await _db.Cluster.ExecuteAsync("DO $$ BEGIN CREATE ROLE cli_globals_reader NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
        (await _repo.Cli.RunAsync("backup", "--db", _db.Url("app"), "--tag", "plain")).ExitCode.Should().Be(0);
        var without = await _repo.Cli.RunAsync("restore", "latest", "--to", _db.Url("app_no_globals"), "--create", "--globals");
        (await _repo.Cli.RunAsync("backup", "--db", _db.Url("app"), "--globals")).ExitCode.Should().Be(0);
        await _db.Cluster.ExecuteAsync("DROP ROLE cli_globals_reader");

        var restore = await _repo.Cli.RunAsync("restore", "latest", "--to", _db.Url("app_with_globals"), "--create", "--globals");
        var withTable = await _repo.Cli.RunAsync("restore", "latest", "--to", _db.Url("app"), "--table", "public.notes", "--as", "n2", "--globals");

        without.ExitCode.Should().Be(2, without.ToString());
        without.Stderr.Should().Contain("without --globals").And.NotContain("unexpected");
        (await _db.Cluster.ScalarAsync<long>("SELECT count(*) FROM pg_database WHERE datname = 'app_no_globals'")).Should().Be(0, "the database it created is dropped again");
        restore.ExitCode.Should().Be(0, restore.ToString());
        restore.Stderr.Should().Contain("roles and tablespaces:").And.Contain("role \"postgres\" already exists");
        (await _db.Cluster.ScalarAsync<long>("SELECT count(*) FROM pg_roles WHERE rolname = 'cli_globals_reader'")).Should().Be(1, "the dropped role is back");
        (await _db.ChecksumsAsync("app_with_globals")).Should().BeEquivalentTo(await _db.ChecksumsAsync("app"));
        withTable.ExitCode.Should().Be(2, withTable.ToString());
    }

    [Fact]
    public async Task The_plain_sql_dump_loads_into_an_empty_database_with_psql()
    {
        await _repo.InitAsync();
        (await _repo.Cli.RunAsync("backup", "--db", _db.Url("app"), "--json")).ExitCode.Should().Be(0);
        var script = Path.Combine(_repo.Root, "app.sql");

        var dump = await _repo.Cli.RunAsync("dump", "latest", "--format", "sql", "--output", script);

        dump.ExitCode.Should().Be(0, dump.ToString());
        await _db.Cluster.CreateDatabaseAsync("app_from_sql");
        await _db.Cluster.RunClientAsync("psql", ["-v", "ON_ERROR_STOP=1", "-q", "-d", _db.Cluster.Url("app_from_sql"), "-f", script]);
        (await _db.ChecksumsAsync("app_from_sql")).Should().BeEquivalentTo(await _db.ChecksumsAsync("app"));
    }

    [Fact]
    public async Task A_non_empty_target_is_refused_with_exit_25_and_clean_replaces_it()
    {
        await _repo.InitAsync();
        (await _repo.Cli.RunAsync("backup", "--db", _db.Url("app"))).ExitCode.Should().Be(0);
        await _db.Cluster.CreateDatabaseAsync("app_busy");
        await _db.Cluster.ExecuteAsync("CREATE TABLE precious (id int); INSERT INTO precious VALUES (1);", "app_busy");

        var refused = await _repo.Cli.RunAsync("restore", "latest", "--to", _db.Url("app_busy"));
        refused.ExitCode.Should().Be(25, refused.ToString());
        (await _db.Cluster.ScalarAsync<long>("SELECT count(*) FROM precious", "app_busy")).Should().Be(1, "nothing was touched");

        var cleaned = await _repo.Cli.RunAsync("restore", "latest", "--to", _db.Url("app_busy"), "--clean", "--verify");
        cleaned.ExitCode.Should().Be(0, cleaned.ToString());
    }

    [Fact]
    public async Task One_deleted_row_comes_back_with_restore_where()
    {
        await _db.Cluster.CreateDatabaseAsync("rows");
        await _db.Cluster.ExecuteAsync("CREATE TABLE journal (id int PRIMARY KEY, body text); INSERT INTO journal SELECT g, 'entry ' || g FROM generate_series(1, 100) g;", "rows");
        await _repo.InitAsync();
        (await _repo.Cli.RunAsync("backup", "--db", _db.Url("rows"))).ExitCode.Should().Be(0);
        await _db.Cluster.ExecuteAsync("DELETE FROM journal WHERE id = 42; UPDATE journal SET body = 'changed' WHERE id = 7;", "rows");

        var result = await _repo.Cli.RunAsync("restore", "latest", "--to", _db.Url("rows"), "--table", "public.journal", "--where", "id IN (7, 42)");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Stderr.Should().Contain("1 inserted").And.Contain("1 skipped");
        (await _db.Cluster.ScalarAsync<string>("SELECT body FROM journal WHERE id = 42", "rows")).Should().Be("entry 42");
        (await _db.Cluster.ScalarAsync<string>("SELECT body FROM journal WHERE id = 7", "rows")).Should().Be("changed", "skip keeps live rows");
    }

    [Fact]
    public async Task A_database_backup_says_what_it_backs_up_then_saves_then_copies_and_an_unusable_also_to_location_stops_it_before_anything()
    {
        await _repo.InitAsync();
        var second = Path.Combine(_repo.Root, "second");
        (await _repo.Cli.RunAsync("-r", second, "init", "--kdf-memory", "8")).ExitCode.Should().Be(0);

        var unusable = await _repo.Cli.RunAsync("backup", "--db", _db.Url("app"), "--also-to", "nosuch:place");
        var snapshotsAfterUnusable = (await _repo.Cli.RunAsync("snapshots", "--json")).Out.Trim();
        var backup = await _repo.Cli.RunAsync("backup", "--db", _db.Url("app"), "--jobs", "2", "--also-to", second);

        unusable.ExitCode.Should().Be(2, unusable.ToString());
        unusable.Stderr.Should().Contain("unknown repository scheme 'nosuch:'").And.NotContain("backing up");
        snapshotsAfterUnusable.Should().Be("[]", "a usage error stops the backup before it starts");
        backup.ExitCode.Should().Be(0, backup.ToString());
        var lines = backup.Stderr.Split('\n');
        var announced = Array.FindIndex(lines, l => l.StartsWith("backing up ", StringComparison.Ordinal) && l.EndsWith(" with 2 job(s)", StringComparison.Ordinal));
        var saved = Array.FindIndex(lines, l => l.StartsWith("snapshot ", StringComparison.Ordinal) && l.Contains(" saved: ", StringComparison.Ordinal));
        var copied = Array.FindIndex(lines, l => l.StartsWith("copied ", StringComparison.Ordinal));
        announced.Should().BeGreaterThanOrEqualTo(0, backup.Stderr);
        saved.Should().BeGreaterThan(announced, backup.Stderr);
        copied.Should().BeGreaterThan(saved, backup.Stderr);
    }

    [Fact]
    public async Task Database_failures_have_their_own_exit_codes_and_never_show_the_password()
    {
        await _repo.InitAsync();
        var password = _db.Cluster.SuperPassword;

        _repo.Cli.Environment["PGPASSWORD"] = "definitely-wrong";
        var wrongPassword = await _repo.Cli.RunAsync("backup", "--db", _db.Url("app"));
        _db.UsePassword(_repo.Cli);
        var missing = await _repo.Cli.RunAsync("backup", "--db", _db.Url("no_such_db"));
        var unreachable = await _repo.Cli.RunAsync("backup", "--db", "postgresql://postgres@127.0.0.1:1/app?connect_timeout=3");
        var withPassword = await _repo.Cli.RunAsync("backup", "--db", $"postgresql://postgres:{password}@127.0.0.1:1/app?connect_timeout=3");

        wrongPassword.ExitCode.Should().Be(21, wrongPassword.ToString());
        missing.ExitCode.Should().Be(22, missing.ToString());
        unreachable.ExitCode.Should().Be(20, unreachable.ToString());
        withPassword.Stderr.Should().NotContain(password);
        wrongPassword.Stderr.Should().NotContain("definitely-wrong");
        (await _repo.Cli.RunAsync("snapshots", "--json")).Out.Trim().Should().Be("[]", "a failed backup commits nothing");
    }

    [Fact]
    public async Task A_whole_restore_names_a_repository_failure_before_a_target_failure_though_it_connects_while_the_key_is_derived()
    {
        await _repo.InitAsync();
        (await _repo.Cli.RunAsync("backup", "--db", _db.Url("app"))).ExitCode.Should().Be(0);
        const string nowhere = "postgresql://postgres@127.0.0.1:1/app?connect_timeout=3";

        var unreachable = await _repo.Cli.RunAsync("restore", "latest", "--to", nowhere);
        var missing = await _repo.Cli.RunAsync("restore", "latest", "--to", _db.Url("no_such_restore_target"));
        var noSnapshot = await _repo.Cli.RunAsync("restore", "0123abcd", "--to", nowhere);
        _repo.Cli.Environment["LIFEBOAT_PASSWORD"] = "not the repository password";
        var wrongPassword = await _repo.Cli.RunAsync("restore", "latest", "--to", nowhere);
        _repo.Cli.Environment["LIFEBOAT_PASSWORD"] = TestRepo.Password;

        unreachable.ExitCode.Should().Be(20, unreachable.ToString());
        missing.ExitCode.Should().Be(22, missing.ToString());
        noSnapshot.ExitCode.Should().Be(13, "the snapshot is looked up before the target is used: " + noSnapshot);
        wrongPassword.ExitCode.Should().Be(12, "the repository opens before the target is used: " + wrongPassword);
        foreach (var result in new[] { unreachable, missing, noSnapshot, wrongPassword })
        {
            result.Stderr.Should().NotContain("Unhandled").And.NotContain("   at ");
        }
    }

    [Fact]
    public async Task A_pg_dump_older_than_the_server_is_refused_before_any_work_with_exit_24()
    {
        await _repo.InitAsync();
        var bin = Path.Combine(_repo.Root, "oldbin");
        Directory.CreateDirectory(bin);
        foreach (var tool in new[] { "pg_dump", "pg_restore", "psql" })
        {
            var path = Path.Combine(bin, tool);
            await File.WriteAllTextAsync(path, $"#!/bin/sh\necho '{tool} (PostgreSQL) 9.6.24'\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
        }

        var result = await _repo.Cli.RunAsync("backup", "--db", _db.Url("app"), "--pg-bin", bin);

        result.ExitCode.Should().Be(24, result.ToString());
        result.Stderr.Should().Contain("15");
        Directory.Exists(Path.Combine(_repo.Path_, "data")).Should().BeFalse("nothing was uploaded");
    }

    [Fact]
    public async Task A_globals_backup_whose_pg_dumpall_is_refused_saves_the_database_and_warns_that_the_globals_were_not_saved()
    {
        await _repo.InitAsync();
        // the real tools, except a pg_dumpall that fails the way a managed host's does
        var real = await Lifeboat.Postgres.PgToolset.FindAsync(15, null, CancellationToken.None);
        var bin = Path.Combine(_repo.Root, "refusingbin");
        Directory.CreateDirectory(bin);
        foreach (var tool in new[] { "pg_dump", "pg_restore", "psql" })
        {
            File.CreateSymbolicLink(Path.Combine(bin, tool), Path.Combine(real.Directory, tool));
        }

        var pgDumpAll = Path.Combine(bin, "pg_dumpall");
        await File.WriteAllTextAsync(pgDumpAll, "#!/bin/sh\necho 'pg_dumpall: error: query failed: ERROR:  permission denied for table pg_authid' >&2\nexit 1\n");
        File.SetUnixFileMode(pgDumpAll, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);

        var text = await _repo.Cli.RunAsync("backup", "--db", _db.Url("app"), "--globals", "--pg-bin", bin);
        var json = await _repo.Cli.RunAsync("backup", "--db", _db.Url("app"), "--globals", "--pg-bin", bin, "--json");

        text.ExitCode.Should().Be(0, "the database itself is backed up: " + text);
        text.Stderr.Should().Contain("warning: --globals: roles and tablespaces were NOT saved").And.Contain("permission denied for table pg_authid");
        json.ExitCode.Should().Be(0, json.ToString());
        using var output = JsonDocument.Parse(json.Stdout);
        output.RootElement.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()).Should()
            .ContainSingle(w => w!.Contains("roles and tablespaces were NOT saved", StringComparison.Ordinal));
        var restore = await _repo.Cli.RunAsync("restore", "latest", "--to", _db.Url("app_refused_globals"), "--create", "--globals");
        restore.ExitCode.Should().Be(2, "the warning's promise holds: restore --globals refuses this snapshot: " + restore);
    }

    [Fact]
    public async Task The_demo_proves_its_restored_copy_identical()
    {
        var result = await _repo.Cli.RunAsync("demo", "--json");

        result.ExitCode.Should().Be(0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        json.RootElement.GetProperty("identical").GetBoolean().Should().BeTrue();
        json.RootElement.GetProperty("checkOk").GetBoolean().Should().BeTrue();
        json.RootElement.GetProperty("secondNewBytes").GetInt64().Should().BeLessThan(json.RootElement.GetProperty("bytesRead").GetInt64() / 100);
    }

    public void Dispose() => _repo.Dispose();
}
