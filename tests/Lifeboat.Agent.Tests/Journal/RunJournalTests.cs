using Lifeboat.Agent.Alerts;
using Lifeboat.Agent.Journal;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Lifeboat.Agent.Tests.Journal;

public sealed class RunJournalTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "lifeboat-journal-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(Start);

    private string File => Path.Combine(_folder, "state", "journal.db");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private Task<RunJournal> OpenAsync() => RunJournal.OpenAsync(File, _time, CancellationToken.None);

    [Fact]
    public async Task A_run_is_kept_with_its_start_end_result_figures_and_error()
    {
        await using (var journal = await OpenAsync())
        {
            var ok = await journal.StartRunAsync("app-6h", RunKind.Backup, CancellationToken.None);
            _time.Advance(TimeSpan.FromMinutes(3));
            await journal.FinishRunAsync(ok, RunResult.Succeeded, new Dictionary<string, double> { ["size_bytes"] = 1234, ["duration_seconds"] = 180.5 }, null, CancellationToken.None);
            var failed = await journal.StartRunAsync("app-6h", RunKind.Check, CancellationToken.None);
            await journal.FinishRunAsync(failed, RunResult.Failed, null, "pack 1f2e damaged", CancellationToken.None);
        }

        await using var reopened = await OpenAsync();
        var runs = await reopened.RecentRunsAsync("app-6h", null, 10, CancellationToken.None);
        runs.Should().HaveCount(2);
        runs[0].Kind.Should().Be(RunKind.Check);
        runs[0].Error.Should().Be("pack 1f2e damaged");
        runs[1].Result.Should().Be(RunResult.Succeeded);
        runs[1].StartedAt.Should().Be(Start);
        runs[1].EndedAt.Should().Be(Start.AddMinutes(3));
        runs[1].Figures.Should().Equal(new Dictionary<string, double> { ["duration_seconds"] = 180.5, ["size_bytes"] = 1234 });
        (await reopened.RecentRunsAsync("app-6h", RunKind.Backup, 10, CancellationToken.None)).Should().ContainSingle();
        (await reopened.RecentRunsAsync("other", null, 10, CancellationToken.None)).Should().BeEmpty();
        reopened.Interrupted.Should().BeEmpty();
    }

    [Fact]
    public async Task A_run_left_running_by_a_previous_process_is_marked_failed_on_open()
    {
        long id;
        await using (var crashed = await OpenAsync())
        {
            id = await crashed.StartRunAsync("app-6h", RunKind.Backup, CancellationToken.None);
        }

        _time.Advance(TimeSpan.FromMinutes(10));
        await using var journal = await OpenAsync();
        var interrupted = journal.Interrupted.Should().ContainSingle().Subject;
        interrupted.Id.Should().Be(id);
        interrupted.Result.Should().Be(RunResult.Failed);
        interrupted.Error.Should().Be("interrupted: the agent stopped during the run");
        interrupted.EndedAt.Should().Be(Start.AddMinutes(10));
        (await journal.RecentRunsAsync("app-6h", RunKind.Backup, 1, CancellationToken.None)).Single().Result.Should().Be(RunResult.Failed);
    }

    [Fact]
    public async Task Alert_states_survive_a_restart_and_a_resolved_one_is_forgotten()
    {
        var firing = new AlertState("app-6h", AlertCondition.BackupFailed, AlertStatus.Firing, Start, Start, 0, "connection refused");
        var reminded = new AlertState("app-6h", AlertCondition.Overdue, AlertStatus.Reminded, Start, Start.AddHours(4), 1, null);
        await using (var journal = await OpenAsync())
        {
            await journal.SaveAlertAsync(firing, CancellationToken.None);
            await journal.SaveAlertAsync(reminded, CancellationToken.None);
            await journal.SaveAlertAsync(reminded with { Reminders = 2 }, CancellationToken.None);
        }

        await using (var journal = await OpenAsync())
        {
            (await journal.LoadAlertsAsync(CancellationToken.None)).Should().BeEquivalentTo([firing, reminded with { Reminders = 2 }]);
            await journal.ResolveAlertAsync(firing.Key, CancellationToken.None);
        }

        await using var last = await OpenAsync();
        (await last.LoadAlertsAsync(CancellationToken.None)).Should().ContainSingle().Which.Condition.Should().Be(AlertCondition.Overdue);
    }

    [Fact]
    public async Task A_restarted_tracker_fed_from_the_journal_does_not_send_the_firing_again()
    {
        await using (var journal = await OpenAsync())
        {
            var tracker = new AlertTracker(_time, TimeSpan.FromHours(4));
            tracker.Observe(AlertObservation.Failing("p", AlertCondition.BackupFailed, Start, "boom"));
            foreach (var state in tracker.Active)
            {
                await journal.SaveAlertAsync(state, CancellationToken.None);
            }
        }

        await using var reopened = await OpenAsync();
        var restarted = new AlertTracker(_time, TimeSpan.FromHours(4), await reopened.LoadAlertsAsync(CancellationToken.None));
        restarted.Observe(AlertObservation.Failing("p", AlertCondition.BackupFailed, Start, "boom")).Should().BeNull();
        restarted.Observe(AlertObservation.Healthy("p", AlertCondition.BackupFailed, Start.AddHours(1)))!.Kind.Should().Be(NotificationKind.Recovered);
    }

    [Fact]
    public async Task Deliveries_are_kept_newest_first()
    {
        await using (var journal = await OpenAsync())
        {
            await journal.RecordDeliveryAsync(new DeliveryRecord("ops-mail", NotificationKind.Firing, "p/backup_failed", Start, 1, true, null), CancellationToken.None);
            await journal.RecordDeliveryAsync(new DeliveryRecord("hook", NotificationKind.Recovered, "p/backup_failed", Start, 4, false, "HTTP 500"), CancellationToken.None);
        }

        await using var reopened = await OpenAsync();
        var deliveries = await reopened.RecentDeliveriesAsync(10, CancellationToken.None);
        deliveries.Select(d => d.Channel).Should().Equal("hook", "ops-mail");
        deliveries[0].Should().Be(new DeliveryRecord("hook", NotificationKind.Recovered, "p/backup_failed", Start, 4, false, "HTTP 500"));
    }

    [Fact]
    public async Task The_slot_a_schedule_last_ran_for_survives_a_restart_and_never_goes_back()
    {
        var eleven = new DateTimeOffset(2026, 12, 7, 11, 0, 0, TimeSpan.Zero);
        await using (var journal = await OpenAsync())
        {
            (await journal.LastRunSlotAsync("app-6h/backup", CancellationToken.None)).Should().BeNull();
            await journal.RecordAsync("app-6h/backup", eleven, CancellationToken.None);
            await journal.RecordAsync("app-6h/backup", eleven.AddHours(-6), CancellationToken.None);
        }

        await using var reopened = await OpenAsync();

        (await reopened.LastRunSlotAsync("app-6h/backup", CancellationToken.None)).Should().Be(eleven);
        (await reopened.LastRunSlotAsync("app-6h/check", CancellationToken.None)).Should().BeNull();
    }

    [Fact]
    public async Task A_journal_of_the_first_schema_is_upgraded_and_keeps_its_runs()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(File)!);
        await using (var raw = new SqliteConnection($"Data Source={File};Pooling=False"))
        {
            await raw.OpenAsync();
            await using var command = raw.CreateCommand();
            command.CommandText = """
                CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, plan TEXT NOT NULL, kind TEXT NOT NULL, started_at TEXT NOT NULL,
                    ended_at TEXT, result TEXT NOT NULL, error TEXT);
                CREATE TABLE run_figures (run_id INTEGER NOT NULL, name TEXT NOT NULL, value REAL NOT NULL, PRIMARY KEY (run_id, name));
                CREATE TABLE alerts (key TEXT PRIMARY KEY, plan TEXT NOT NULL, condition TEXT NOT NULL, status TEXT NOT NULL, since TEXT NOT NULL,
                    last_notified_at TEXT NOT NULL, reminders INTEGER NOT NULL, detail TEXT);
                CREATE TABLE deliveries (id INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT NOT NULL, kind TEXT NOT NULL, dedup_key TEXT NOT NULL,
                    at TEXT NOT NULL, attempts INTEGER NOT NULL, succeeded INTEGER NOT NULL, error TEXT);
                INSERT INTO runs (plan, kind, started_at, ended_at, result) VALUES ('app-6h', 'backup', '2026-12-07T06:00:00.0000000Z', '2026-12-07T06:01:00.0000000Z', 'succeeded');
                PRAGMA user_version = 1;
                """;
            await command.ExecuteNonQueryAsync();
        }

        await using var journal = await OpenAsync();

        (await journal.RecentRunsAsync("app-6h", null, 10, CancellationToken.None)).Should().ContainSingle();
        await journal.RecordAsync("app-6h/backup", new DateTimeOffset(2026, 12, 7, 6, 0, 0, TimeSpan.Zero), CancellationToken.None);
    }

    [Fact]
    public async Task The_schema_is_versioned_and_a_newer_file_is_refused_untouched()
    {
        await using (var journal = await OpenAsync())
        {
        }

        await using (var raw = new SqliteConnection($"Data Source={File};Pooling=False"))
        {
            await raw.OpenAsync();
            await using var command = raw.CreateCommand();
            command.CommandText = "PRAGMA user_version";
            ((long)(await command.ExecuteScalarAsync())!).Should().Be(RunJournal.SchemaVersion);
            command.CommandText = "PRAGMA user_version = 99";
            await command.ExecuteNonQueryAsync();
        }

        var open = async () => await OpenAsync();
        (await open.Should().ThrowAsync<JournalException>()).Which.Message.Should().Contain("schema version 99").And.Contain("no backup is lost");
    }

    [Fact]
    public async Task A_file_that_is_not_a_journal_is_refused_with_its_path()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(File)!);
        await System.IO.File.WriteAllTextAsync(File, new string('x', 4096));
        var open = async () => await OpenAsync();
        (await open.Should().ThrowAsync<JournalException>()).Which.Message.Should().Contain(File);
    }
}
