using System.Text.Json;

namespace Lifeboat.Cli.Tests;

/// <summary>
/// Commands that read every snapshot do their job with the readable ones when one is damaged, name the
/// damaged one, and let a script notice (exit 3; CRITICAL for status).
/// </summary>
public sealed class DamagedSnapshotTests : IDisposable
{
    private readonly TestRepo _repo = new();

    [Fact]
    public async Task Audit_verify_names_a_damaged_snapshot_that_no_audit_record_names()
    {
        await _repo.InitAsync();
        await _repo.BackupAsync(TestRepo.DumpLikeBytes(100_000, 41));
        var bad = await _repo.BackupAsync(TestRepo.DumpLikeBytes(100_000, 42));
        // the newest record deleted leaves no gap in the chain: only the snapshot it named tells
        File.Delete(Path.Combine(_repo.Path_, "audit", "000000000003"));
        TestRepo.FlipByte(_repo.ObjectPath("snapshots/" + bad));

        var verify = await _repo.Cli.RunAsync("audit", "--verify");

        verify.ExitCode.Should().Be(0, "the chain itself is whole: " + verify);
        verify.Stderr.Should().Contain($"warning: snapshot {bad[..8]} cannot be read and is in no audit record");
    }

    [Fact]
    public async Task Stats_reports_over_the_readable_snapshots_names_the_damaged_one_and_exits_3()
    {
        await _repo.InitAsync();
        var good = await _repo.BackupAsync(TestRepo.DumpLikeBytes(300_000, 31));
        var bad = await _repo.BackupAsync(TestRepo.DumpLikeBytes(300_000, 32));
        TestRepo.FlipByte(_repo.ObjectPath("snapshots/" + bad));

        var text = await _repo.Cli.RunAsync("stats");
        var json = await _repo.Cli.RunAsync("stats", "--json");

        text.ExitCode.Should().Be(3, text.ToString());
        text.Out.Should().Contain("snapshots:                 1 readable, 1 DAMAGED (not counted)");
        text.Out.Should().Contain(good[..8]).And.Contain(bad[..8] + "   DAMAGED: ");
        text.Stderr.Should().Contain("lifeboat forget " + bad[..8]).And.Contain("shows as garbage");
        json.ExitCode.Should().Be(3, json.ToString());
        using var doc = JsonDocument.Parse(json.Stdout);
        doc.RootElement.GetProperty("snapshots").GetInt32().Should().Be(1);
        doc.RootElement.GetProperty("perSnapshot").EnumerateArray().Select(s => s.GetProperty("id").GetString()).Should().Equal(good);
        var damaged = doc.RootElement.GetProperty("damaged").EnumerateArray().ToList();
        damaged.Select(d => d.GetProperty("id").GetString()).Should().Equal(bad);
        damaged[0].GetProperty("shortId").GetString().Should().Be(bad[..8]);
        damaged[0].GetProperty("error").GetString().Should().NotBeNullOrEmpty();
    }

    [Fact]
    public async Task Status_shows_a_damaged_snapshot_as_critical_first_with_its_source_and_the_newest_readable_backup()
    {
        await _repo.InitAsync();
        var now = DateTimeOffset.UtcNow;
        var good = await _repo.BackupAsync([1, 2, 3], "app.dump", "--time", now.AddHours(-3).ToString("O"));
        var bad = await _repo.BackupAsync([4, 5, 6], "app.dump", "--time", now.AddHours(-1).ToString("O"));
        TestRepo.FlipByte(_repo.ObjectPath("snapshots/" + bad));

        var text = await _repo.Cli.RunAsync("status", "--max-drill-age", "off", "--max-check-age", "off");
        var json = await _repo.Cli.RunAsync("status", "--max-drill-age", "off", "--max-check-age", "off", "--json");

        text.ExitCode.Should().Be(2, text.ToString());
        var lines = text.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].Should().StartWith($"CRITICAL: snapshot {bad[..8]} cannot be read, so cannot be restored")
            .And.Contain("it is the backup of app.dump made at")
            .And.Contain($"the newest readable backup of app.dump is {good[..8]}")
            .And.EndWith($"'lifeboat forget {bad[..8]}'");
        lines[1].Should().StartWith("OK: backup of app.dump: last at", "the backup age counts the newest readable backup, 3 hours old");
        json.ExitCode.Should().Be(2, json.ToString());
        using var doc = JsonDocument.Parse(json.Stdout);
        doc.RootElement.GetProperty("status").GetString().Should().Be("critical");
        var item = doc.RootElement.GetProperty("items")[0];
        (item.GetProperty("what").GetString(), item.GetProperty("subject").GetString(), item.GetProperty("health").GetString())
            .Should().Be(("snapshot", bad, "critical"));
    }

    [Fact]
    public async Task Report_names_a_damaged_snapshot_leaves_it_out_of_the_backup_counts_and_exits_3()
    {
        await _repo.InitAsync();
        await _repo.BackupAsync([1, 2, 3], "app.dump");
        var bad = await _repo.BackupAsync([4, 5, 6], "app.dump");
        TestRepo.FlipByte(_repo.ObjectPath("snapshots/" + bad));

        var text = await _repo.Cli.RunAsync("report", "--since", "30d");
        var json = await _repo.Cli.RunAsync("report", "--since", "30d", "--json");

        text.ExitCode.Should().Be(3, text.ToString());
        text.Out.Should().Contain("| app.dump | 1 |")
            .And.Contain("**1 snapshot(s) cannot be read**")
            .And.Contain($"- `{bad[..8]}`: ")
            .And.Contain($"`lifeboat forget {bad[..8]}`");
        text.Stderr.Should().Contain($"lifeboat forget {bad[..8]}");
        json.ExitCode.Should().Be(3, json.ToString());
        using var doc = JsonDocument.Parse(json.Stdout);
        doc.RootElement.GetProperty("damagedSnapshots").EnumerateArray().Select(d => d.GetProperty("id").GetString()).Should().Equal(bad);
        doc.RootElement.GetProperty("damagedEvidence").GetArrayLength().Should().Be(0);
    }

    public void Dispose() => _repo.Dispose();
}
