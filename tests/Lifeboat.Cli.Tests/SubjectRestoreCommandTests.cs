using System.Text.Json;

namespace Lifeboat.Cli.Tests;

/// <summary>
/// <c>subject restore</c> on a Supabase-shaped schema: users, profiles and journal entries (foreign keys), voice note
/// metadata linked only by a declared link, and audit rows that are not the subject's.
/// </summary>
public sealed class SubjectRestoreCommandTests : IClassFixture<DatabaseFixture>, IDisposable
{
    private const string Alice = "a1111111-1111-1111-1111-111111111111";
    private const string Bob = "b2222222-2222-2222-2222-222222222222";

    private const string Schema = """
        CREATE SCHEMA app_auth;
        CREATE TABLE app_auth.users (id uuid PRIMARY KEY, email text NOT NULL UNIQUE);
        CREATE TABLE public.profiles (id uuid PRIMARY KEY REFERENCES app_auth.users (id) ON DELETE CASCADE, display_name text);
        CREATE TABLE public.journal_entries (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            user_id uuid NOT NULL REFERENCES app_auth.users (id) ON DELETE CASCADE, body text);
        CREATE TABLE public.voice_notes (id int PRIMARY KEY, user_id uuid, path text);
        CREATE TABLE public.audit_log (at int, what text);
        """;

    private static readonly string Data = $$"""
        INSERT INTO app_auth.users VALUES ('{{Alice}}', 'alice@example.com'), ('{{Bob}}', 'bob@example.com');
        INSERT INTO public.profiles VALUES ('{{Alice}}', 'Alice MARKER-ALICE'), ('{{Bob}}', 'Bob');
        INSERT INTO public.journal_entries (user_id, body) VALUES ('{{Alice}}', 'dear diary MARKER-ALICE'), ('{{Bob}}', 'bob 1'), ('{{Alice}}', 'day 2');
        INSERT INTO public.voice_notes VALUES (1, '{{Alice}}', 'voice/alice/1.m4a'), (2, '{{Bob}}', 'voice/bob/1.m4a');
        INSERT INTO public.audit_log VALUES (1, 'signup alice'), (2, 'signup bob');
        """;

    private readonly DatabaseFixture _db;
    private readonly TestRepo _repo = new();
    private readonly string _links;

    public SubjectRestoreCommandTests(DatabaseFixture db)
    {
        _db = db;
        _db.UsePassword(_repo.Cli);
        _links = Path.Combine(_repo.Root, "subject.yaml");
        File.WriteAllText(_links, "links:\n  - from: public.voice_notes.user_id\n    to: app_auth.users.id\n");
    }

    private async Task BackUpAndDeleteAliceAsync()
    {
        await _db.Cluster.ExecuteAsync("DROP DATABASE IF EXISTS live_app");
        await _db.Cluster.CreateDatabaseAsync("live_app");
        await _db.Cluster.ExecuteAsync(Schema + Data, "live_app");
        await _repo.InitAsync();
        var backup = await _repo.Cli.RunAsync("backup", "--db", _db.Url("live_app"));
        backup.ExitCode.Should().Be(0, backup.ToString());
        await _db.Cluster.ExecuteAsync($"DELETE FROM public.voice_notes WHERE user_id = '{Alice}'; DELETE FROM app_auth.users WHERE id = '{Alice}'; INSERT INTO public.audit_log VALUES (3, 'deleted alice')", "live_app");
    }

    private Task<CliResult> RestoreAsync(params string[] more) =>
        _repo.Cli.RunAsync([.. new[] { "subject", "restore", "latest", "--root", "app_auth.users", "--where", $"id = '{Alice}'", "--links", _links, "--to", _db.Url("live_app") }, .. more]);

    private Task<string> TablesAsync() => _db.Cluster.ScalarAsync<string>("""
        SELECT concat_ws(' | ',
            (SELECT string_agg(id || ' ' || email, ', ' ORDER BY id) FROM app_auth.users),
            (SELECT string_agg(id || ' ' || display_name, ', ' ORDER BY id) FROM public.profiles),
            (SELECT string_agg(id || ' ' || body, ', ' ORDER BY id) FROM public.journal_entries),
            (SELECT string_agg(id || ' ' || path, ', ' ORDER BY id) FROM public.voice_notes),
            (SELECT string_agg(at || ' ' || what, ', ' ORDER BY at) FROM public.audit_log))
        """, "live_app");

    [Fact]
    public async Task Restore_of_a_user_deleted_after_the_snapshot_brings_back_exactly_their_rows_and_a_dry_run_changes_nothing()
    {
        await BackUpAndDeleteAliceAsync();
        var before = await TablesAsync();

        var dry = await RestoreAsync("--on-conflict", "fail", "--dry-run");
        var afterDry = await TablesAsync();
        var restore = await RestoreAsync("--on-conflict", "fail", "--json");
        var again = await RestoreAsync("--on-conflict", "fail", "--json");

        dry.ExitCode.Should().Be(0, dry.ToString());
        dry.Out.Should().Contain($"insert     app_auth.users  (id)=({Alice})").And.Contain("insert     public.journal_entries  (id)=(3)")
            .And.Contain("insert     public.voice_notes  (id)=(1)").And.Contain("dry run, nothing changed");
        afterDry.Should().Be(before, "a dry run rolls back");
        restore.ExitCode.Should().Be(0, restore.ToString());
        using var json = JsonDocument.Parse(restore.Out);
        json.RootElement.GetProperty("tables").EnumerateArray().Select(t => (t.GetProperty("table").GetString(), t.GetProperty("inserted").GetInt64()))
            .Should().BeEquivalentTo(new (string?, long)[] { ("app_auth.users", 1), ("public.profiles", 1), ("public.journal_entries", 2), ("public.voice_notes", 1) });
        json.RootElement.GetProperty("tables")[0].GetProperty("table").GetString().Should().Be("app_auth.users", "parents are inserted first");
        json.RootElement.GetProperty("rtoSeconds").GetDouble().Should().BeGreaterThan(0);
        (await TablesAsync()).Should().Be(
            $"{Alice} alice@example.com, {Bob} bob@example.com | {Alice} Alice MARKER-ALICE, {Bob} Bob | 1 dear diary MARKER-ALICE, 2 bob 1, 3 day 2 | " +
            "1 voice/alice/1.m4a, 2 voice/bob/1.m4a | 1 signup alice, 2 signup bob, 3 deleted alice");
        again.ExitCode.Should().Be(0, again.ToString());
        using var second = JsonDocument.Parse(again.Out);
        second.RootElement.GetProperty("inserted").GetInt64().Should().Be(0);
        second.RootElement.GetProperty("skipped").GetInt64().Should().Be(5, "rows equal to the live ones are no conflict");
    }

    [Fact]
    public async Task A_conflicting_live_row_is_kept_with_skip_overwritten_with_update_and_refused_with_fail()
    {
        await BackUpAndDeleteAliceAsync();
        await _db.Cluster.ExecuteAsync($"INSERT INTO app_auth.users VALUES ('{Alice}', 'alice@new.example'); INSERT INTO public.profiles VALUES ('{Alice}', 'Alice renamed')", "live_app");
        var before = await TablesAsync();

        var fail = await RestoreAsync("--on-conflict", "fail");
        var afterFail = await TablesAsync();
        var skip = await RestoreAsync("--on-conflict", "skip", "--json");
        var afterSkip = await _db.Cluster.ScalarAsync<string>($"SELECT email || ' ' || (SELECT display_name FROM public.profiles WHERE id = '{Alice}') FROM app_auth.users WHERE id = '{Alice}'", "live_app");
        var update = await RestoreAsync("--on-conflict", "update", "--json");
        var afterUpdate = await _db.Cluster.ScalarAsync<string>($"SELECT email || ' ' || (SELECT display_name FROM public.profiles WHERE id = '{Alice}') FROM app_auth.users WHERE id = '{Alice}'", "live_app");

        fail.ExitCode.Should().Be(56, fail.ToString());
        fail.Stderr.Should().Contain($"app_auth.users already holds the row (id)=({Alice}) with other values").And.Contain("nothing was restored");
        afterFail.Should().Be(before, "a refused restore changes nothing");
        skip.ExitCode.Should().Be(0, skip.ToString());
        afterSkip.Should().Be("alice@new.example Alice renamed");
        using (var json = JsonDocument.Parse(skip.Out))
        {
            json.RootElement.GetProperty("inserted").GetInt64().Should().Be(3, "the journal entries and the voice note");
            json.RootElement.GetProperty("skipped").GetInt64().Should().Be(2);
        }
        update.ExitCode.Should().Be(0, update.ToString());
        afterUpdate.Should().Be("alice@example.com Alice MARKER-ALICE");
        using (var json = JsonDocument.Parse(update.Out))
            json.RootElement.GetProperty("updated").GetInt64().Should().Be(2);
    }

    [Fact]
    public async Task A_target_without_a_table_the_subject_needs_is_refused_before_anything_is_written()
    {
        await BackUpAndDeleteAliceAsync();
        await _db.Cluster.ExecuteAsync("DROP TABLE public.voice_notes", "live_app");

        var restore = await RestoreAsync("--on-conflict", "skip");

        restore.ExitCode.Should().Be(57, restore.ToString());
        restore.Stderr.Should().Contain("the target database has no table public.voice_notes");
        (await _db.Cluster.ScalarAsync<long>($"SELECT count(*) FROM app_auth.users WHERE id = '{Alice}'", "live_app")).Should().Be(0);
    }

    public void Dispose() => _repo.Dispose();
}
