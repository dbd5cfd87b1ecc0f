using System.Security.Cryptography;
using System.Text.Json;

namespace Lifeboat.Cli.Tests;

public sealed class ProofCommandTests : IClassFixture<DatabaseFixture>, IDisposable
{
    private readonly DatabaseFixture _db;
    private readonly TestRepo _repo = new();

    public ProofCommandTests(DatabaseFixture db)
    {
        _db = db;
        _db.UsePassword(_repo.Cli);
    }

    [Fact]
    public async Task A_drill_passes_writes_verifiable_evidence_and_a_missed_rto_exits_30()
    {
        await _repo.InitAsync();
        (await _repo.Cli.RunAsync("backup", "--db", _db.Url("app"), "--jobs", "2")).ExitCode.Should().Be(0);
        var checks = Path.Combine(_repo.Root, "checks.yaml");
        await File.WriteAllTextAsync(checks, "required_tables: [public.orders]\nassertions:\n  - { name: orders, sql: SELECT count(*) FROM public.orders, expect: 120 }\n");
        var dir = Path.Combine(_repo.Root, "evidence");

        var drill = await _repo.Cli.RunAsync("drill", "--scratch", _db.Url("postgres"), "--rto", "2h", "--rpo", "1h", "--checks", checks, "--jobs", "2", "--evidence-dir", dir);
        var missed = await _repo.Cli.RunAsync("drill", "latest", "--scratch", _db.Url("postgres"), "--rto", "1ms", "--json");

        drill.ExitCode.Should().Be(0, drill.ToString());
        drill.Out.Should().Contain("drill PASSED").And.Contain("required-tables").And.Contain("assertions");
        missed.ExitCode.Should().Be(30, missed.ToString());
        using (var json = JsonDocument.Parse(missed.Stdout))
        {
            json.RootElement.GetProperty("passed").GetBoolean().Should().BeFalse();
            json.RootElement.GetProperty("report").GetProperty("objectives")[0].GetProperty("passed").GetBoolean().Should().BeFalse();
        }

        var files = Directory.GetFiles(dir).Order().ToList();
        files.Should().HaveCount(2);
        var body = await File.ReadAllBytesAsync(files.Single(f => f.EndsWith(".json", StringComparison.Ordinal)));
        var sha = Convert.ToHexStringLower(SHA256.HashData(body));
        (await File.ReadAllTextAsync(files.Single(f => f.EndsWith(".md", StringComparison.Ordinal)))).Should().Contain(sha).And.Contain("PASSED");

        var list = await _repo.Cli.RunAsync("evidence", "list", "--json");
        using var entries = JsonDocument.Parse(list.Stdout);
        var drills = entries.RootElement.EnumerateArray().Where(e => e.GetProperty("kind").GetString() == "drill").ToList();
        drills.Should().HaveCount(2);
        entries.RootElement.EnumerateArray().Should().Contain(e => e.GetProperty("kind").GetString() == "backup");
        var shown = await _repo.Cli.RunAsync("evidence", "show", drills[0].GetProperty("id").GetString()![..8], "--format", "json");
        Convert.ToHexStringLower(SHA256.HashData(shown.Stdout)).Should().Be(drills[0].GetProperty("sha256").GetString()).And.Be(sha);

        var audit = await _repo.Cli.RunAsync("audit", "--verify");
        audit.ExitCode.Should().Be(0, audit.ToString());
        audit.Out.Should().Contain("4 record(s)").And.Contain("chain verified");
        var log = await _repo.Cli.RunAsync("audit");
        log.Out.Should().Contain("init").And.Contain("backup").And.Contain("drill").And.Contain("failed");
        var report = await _repo.Cli.RunAsync("report", "--since", "30d");
        report.ExitCode.Should().Be(0, report.ToString());
        report.Out.Should().Contain("1 of 2 drill(s) passed").And.Contain("chain verified");
    }

    [Fact]
    public async Task A_drill_of_latest_refuses_while_a_snapshot_is_damaged_naming_it_and_the_newest_readable_database_snapshot()
    {
        await _repo.InitAsync();
        var good = await DatabaseBackupAsync();
        var bad = await DatabaseBackupAsync();
        TestRepo.FlipByte(_repo.ObjectPath("snapshots/" + bad));

        var latest = await _repo.Cli.RunAsync("drill", "--scratch", _db.Url("postgres"), "--jobs", "2");
        var named = await _repo.Cli.RunAsync("drill", good[..8], "--scratch", _db.Url("postgres"), "--jobs", "2");

        latest.ExitCode.Should().Be(3, latest.ToString());
        latest.Stderr.Should().Contain("'latest' is unknown").And.Contain(bad[..8])
            .And.Contain("may be the newest database snapshot; the newest readable one is " + good[..8])
            .And.Contain("lifeboat forget " + bad[..8]);
        named.ExitCode.Should().Be(0, named.ToString());
        named.Out.Should().Contain($"drill of snapshot {good[..8]}").And.Contain("drill PASSED");
        var log = await _repo.Cli.RunAsync("audit", "--json");
        using var json = JsonDocument.Parse(log.Stdout);
        var drills = json.RootElement.EnumerateArray().Select(e => e.GetProperty("record")).Where(r => r.GetProperty("operation").GetString() == "drill").ToList();
        drills.Select(r => r.GetProperty("status").GetString()).Should().Equal("failed", "ok");
        drills[0].GetProperty("error").GetString().Should().Contain(bad[..8]);
    }

    [Fact]
    public async Task Audit_verify_names_a_deleted_record_and_exits_3()
    {
        await _repo.InitAsync();
        await _repo.BackupAsync([1, 2, 3], "a.bin");
        await _repo.BackupAsync([4, 5, 6], "a.bin");
        File.Delete(Path.Combine(_repo.Path_, "audit", "000000000002"));

        var verify = await _repo.Cli.RunAsync("audit", "--verify");
        var report = await _repo.Cli.RunAsync("report");

        verify.ExitCode.Should().Be(3, verify.ToString());
        verify.Stderr.Should().Contain("record 2 (audit/000000000002) is missing");
        verify.Stderr.Should().Contain("is in no audit record", "the deleted record named a snapshot");
        report.ExitCode.Should().Be(3, "a report over a broken audit trail does not read as fine: " + report);
        report.Stderr.Should().Contain("hash chain is broken").And.Contain("audit --verify");
    }

    [Fact]
    public async Task Status_uses_nagios_exit_codes_with_one_line_per_problem()
    {
        await _repo.InitAsync();
        var now = DateTimeOffset.UtcNow;
        string[] noDrillOrCheck = ["--max-drill-age", "off", "--max-check-age", "off"];
        await _repo.BackupAsync([1], "fresh.bin", "--time", now.AddHours(-1).ToString("O"));
        var fresh = await _repo.Cli.RunAsync(["status", .. noDrillOrCheck]);
        await _repo.BackupAsync([2], "late.bin", "--time", now.AddHours(-28).ToString("O"));
        var warning = await _repo.Cli.RunAsync(["status", .. noDrillOrCheck]);
        await _repo.BackupAsync([3], "lost.bin", "--time", now.AddHours(-50).ToString("O"));
        var critical = await _repo.Cli.RunAsync(["status", .. noDrillOrCheck]);
        var noCheck = await _repo.Cli.RunAsync("status", "--max-age", "off", "--max-drill-age", "off", "--json");

        fresh.ExitCode.Should().Be(0, fresh.ToString());
        warning.ExitCode.Should().Be(1, warning.ToString());
        warning.Out.Split('\n')[0].Should().StartWith("WARNING: backup of late.bin is overdue");
        critical.ExitCode.Should().Be(2, critical.ToString());
        critical.Out.Split('\n').Take(2).Should().Equal(
            critical.Out.Split('\n')[0], critical.Out.Split('\n')[1]);
        critical.Out.Split('\n')[0].Should().StartWith("CRITICAL: backup of lost.bin is overdue");
        critical.Out.Split('\n')[1].Should().StartWith("WARNING: backup of late.bin");
        noCheck.ExitCode.Should().Be(2, "no check was ever run");
        using var json = JsonDocument.Parse(noCheck.Stdout);
        json.RootElement.GetProperty("status").GetString().Should().Be("critical");
    }

    private async Task<string> DatabaseBackupAsync()
    {
        var result = await _repo.Cli.RunAsync("backup", "--db", _db.Url("app"), "--jobs", "2", "--json");
        result.ExitCode.Should().Be(0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        return json.RootElement.GetProperty("snapshot").GetString()!;
    }

    public void Dispose() => _repo.Dispose();
}
