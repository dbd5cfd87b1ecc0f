using System.Text;
using System.Text.Json;
using Lifeboat.Repository;
using Lifeboat.Repository.Audit;
using Lifeboat.Repository.Crypto;
using Lifeboat.Repository.Evidence;
using Lifeboat.Repository.Format;

namespace Lifeboat.Cli.Tests;

public sealed class CorruptionTests : IDisposable
{
    private readonly TestRepo _repo = new();

    [Theory]
    [InlineData("data")]
    [InlineData("index")]
    [InlineData("snapshots")]
    public async Task A_flipped_byte_is_found_by_check_which_names_the_object_and_exits_3(string kind)
    {
        await _repo.InitAsync();
        var data = TestRepo.RandomBytes(3_000_000, 11);
        var snapshot = await _repo.BackupAsync(data);
        var victim = _repo.Files(kind).OrderBy(f => f, StringComparer.Ordinal).First();
        TestRepo.FlipByte(victim);

        var check = await _repo.Cli.RunAsync("check", "--read-data");

        check.ExitCode.Should().Be(3, check.ToString());
        check.Stderr.Should().Contain(Path.GetFileName(victim));
        if (kind != "snapshots")
        {
            check.Stderr.Should().Contain(snapshot[..8], "the damage is traced to the snapshots it affects");
        }
    }

    [Fact]
    public async Task A_damaged_snapshot_is_listed_as_damaged_beside_the_good_ones_and_latest_refuses_to_guess()
    {
        await _repo.InitAsync();
        var good = await _repo.BackupAsync(TestRepo.RandomBytes(100_000, 21));
        var bad = await _repo.BackupAsync(TestRepo.RandomBytes(100_000, 22));
        TestRepo.FlipByte(_repo.ObjectPath("snapshots/" + bad));

        var list = await _repo.Cli.RunAsync("snapshots");
        var json = await _repo.Cli.RunAsync("snapshots", "--json");
        var latest = await _repo.Cli.RunAsync("dump", "latest", "data.bin");
        var named = await _repo.Cli.RunAsync("dump", good[..8], "data.bin");

        list.ExitCode.Should().Be(3, list.ToString());
        list.Out.Should().Contain(good[..8]).And.Contain(bad[..8] + "   DAMAGED");
        list.Stderr.Should().Contain("lifeboat forget " + bad[..8]);
        json.ExitCode.Should().Be(3);
        using (var doc = JsonDocument.Parse(json.Stdout))
        {
            doc.RootElement.EnumerateArray().Select(e => (e.GetProperty("shortId").GetString(), e.TryGetProperty("damaged", out var _)))
                .Should().BeEquivalentTo(new[] { (good[..8], false), (bad[..8], true) });
        }
        latest.ExitCode.Should().Be(3, latest.ToString());
        latest.Stderr.Should().Contain(bad[..8]).And.Contain("the newest readable one is " + good[..8]);
        named.ExitCode.Should().Be(0, named.ToString());
        named.Stdout.Should().Equal(TestRepo.RandomBytes(100_000, 21));
    }

    [Fact]
    public async Task A_damaged_pack_makes_dump_fail_loudly_without_writing_wrong_bytes()
    {
        await _repo.InitAsync();
        var data = TestRepo.RandomBytes(3_000_000, 12);
        await _repo.BackupAsync(data);
        foreach (var pack in _repo.Files("data"))
        {
            TestRepo.FlipByte(pack, offsetFraction: 0.3);
        }

        var dump = await _repo.Cli.RunAsync("dump", "latest", "data.bin");
        dump.ExitCode.Should().Be(3, dump.ToString());
        dump.Stderr.Should().Contain("failed authentication");
        data.AsSpan(0, dump.Stdout.Length).SequenceEqual(dump.Stdout).Should().BeTrue("whatever was written before the damage is correct");
        dump.Stdout.Length.Should().BeLessThan(data.Length);

        var target = Path.Combine(_repo.Root, "out.bin");
        (await _repo.Cli.RunAsync("dump", "latest", "data.bin", "--output", target)).ExitCode.Should().Be(3);
        File.Exists(target).Should().BeFalse("a failed dump leaves no file behind");
    }

    [Fact]
    public async Task A_damaged_key_file_is_named_and_the_repository_cannot_open_with_it()
    {
        await _repo.InitAsync();
        await _repo.BackupAsync([1, 2, 3]);
        var key = _repo.Files("keys").Single();
        TestRepo.FlipByte(key);

        var check = await _repo.Cli.RunAsync("check", "--read-data");

        check.ExitCode.Should().Be(3, check.ToString());
        check.Stderr.Should().Contain(Path.GetFileName(key)).And.Contain("damaged");
    }

    [Fact]
    public async Task A_damaged_key_file_is_reported_by_check_while_another_key_still_opens()
    {
        await _repo.InitAsync();
        await _repo.BackupAsync([1, 2, 3]);
        var original = _repo.Files("keys").Single();
        _repo.Cli.Environment["LIFEBOAT_NEW_PASSWORD"] = "spare";
        (await _repo.Cli.RunAsync("key", "add", "--kdf-memory", "8")).ExitCode.Should().Be(0);
        TestRepo.FlipByte(original);
        _repo.Cli.Environment["LIFEBOAT_PASSWORD"] = "spare";

        var check = await _repo.Cli.RunAsync("check", "--read-data");

        check.ExitCode.Should().Be(3, check.ToString());
        check.Stderr.Should().Contain(Path.GetFileName(original));
    }

    [Fact]
    public async Task Check_of_a_clean_repository_verifies_its_audit_log_and_evidence_and_passes()
    {
        await _repo.InitAsync();
        await _repo.BackupAsync([1, 2, 3]);

        var first = await CheckJsonAsync();
        var second = await CheckJsonAsync();

        first.GetProperty("ok").GetBoolean().Should().BeTrue(first.ToString());
        first.GetProperty("auditRecords").GetInt32().Should().Be(2, "init and backup");
        first.GetProperty("evidenceReports").GetInt32().Should().Be(1, "the backup's");
        second.GetProperty("ok").GetBoolean().Should().BeTrue(second.ToString());
        second.GetProperty("auditRecords").GetInt32().Should().Be(3, "the first check appended its record");
        second.GetProperty("evidenceReports").GetInt32().Should().Be(2, "and saved its evidence");
        second.GetProperty("notes").EnumerateArray().Should().BeEmpty("every report is named by its audit record");
    }

    [Theory]
    [InlineData("deleted", "record 2 (audit/000000000002) is missing: deleted")]
    [InlineData("flipped", "record 2 (audit/000000000002) failed authentication")]
    [InlineData("swapped", "audit/000000000002 holds record 3, not record 2")]
    public async Task A_broken_audit_chain_is_found_by_check_which_names_the_record_and_exits_3(string damage, string finding)
    {
        await _repo.InitAsync();
        await _repo.BackupAsync([1, 2, 3]);
        await _repo.BackupAsync([4, 5, 6]);
        var second = _repo.ObjectPath(AuditLog.ObjectName(2));
        var third = _repo.ObjectPath(AuditLog.ObjectName(3));
        switch (damage)
        {
            case "deleted":
                File.Delete(second);
                break;
            case "flipped":
                TestRepo.FlipByte(second);
                break;
            default:
                File.Move(second, second + ".swap");
                File.Move(third, second);
                File.Move(second + ".swap", third);
                break;
        }

        var check = await _repo.Cli.RunAsync("check");

        check.ExitCode.Should().Be(3, check.ToString());
        check.Stderr.Should().Contain("error: audit log: " + finding);
    }

    [Fact]
    public async Task Evidence_export_writes_every_readable_report_names_a_damaged_one_and_exits_3()
    {
        await _repo.InitAsync();
        await _repo.BackupAsync([1, 2, 3]);
        await _repo.BackupAsync([4, 5, 6]);
        var repository = await InProcessRepository.OpenAsync(_repo);
        var head = (await AuditLog.ReadAllAsync(repository, CancellationToken.None))[^1];
        TestRepo.FlipByte(_repo.ObjectPath(EvidenceStore.Prefix + head.Record.Evidence));
        var dir = Path.Combine(_repo.Root, "exported");

        var export = await _repo.Cli.RunAsync("evidence", "export", "--dir", dir);

        export.ExitCode.Should().Be(3, export.ToString());
        export.Stderr.Should().Contain("not exported").And.Contain(head.Record.Evidence![..8]);
        Directory.GetFiles(dir, "*.json").Should().ContainSingle("the first backup's report is readable");
    }

    [Theory]
    [InlineData("flipped")]
    [InlineData("edited")]
    [InlineData("replaced")]
    [InlineData("record re-sealed")]
    public async Task Damaged_or_altered_evidence_is_found_by_check_which_names_the_report_and_exits_3(string alteration)
    {
        await _repo.InitAsync();
        await _repo.BackupAsync([1, 2, 3]);
        await _repo.BackupAsync([4, 5, 6]);
        var repository = await InProcessRepository.OpenAsync(_repo);
        var head = (await AuditLog.ReadAllAsync(repository, CancellationToken.None))[^1];
        var original = EvidenceStore.Prefix + head.Record.Evidence;
        var entry = await EvidenceStore.LoadAsync(repository, BlobId.Parse(head.Record.Evidence!), CancellationToken.None);
        var edited = entry.Envelope.Body.ToArray();
        edited[edited.Length / 2] ^= 0x01;
        string[] findings;
        switch (alteration)
        {
            case "flipped":
                TestRepo.FlipByte(_repo.ObjectPath(original));
                findings = [$"error: object '{original}' is damaged"];
                break;
            case "edited":
                // Someone with the key edits the body and re-seals it, leaving the recorded SHA-256.
                var stale = await EvidenceStore.SaveAsync(repository, entry.Envelope with { Body = edited }, CancellationToken.None);
                File.Delete(_repo.ObjectPath(original));
                findings = [$"error: evidence 'evidence/{stale}': the report's SHA-256 is", $"error: evidence '{original}', named by audit record 3 (backup"];
                break;
            case "replaced":
                // ... or makes a consistent new report: only the audit record's reference tells.
                var v = entry.Envelope;
                var replacement = await EvidenceStore.SaveAsync(
                    repository, EvidenceEnvelope.Create(v.Kind, v.Created, v.Passed, v.Snapshot, v.Source, edited), CancellationToken.None);
                File.Delete(_repo.ObjectPath(original));
                findings = [$"error: evidence '{original}', named by audit record 3 (backup", "is missing: it was deleted or renamed", $"note: evidence: report {replacement.Short}"];
                break;
            default:
                // The newest audit record, re-sealed by someone with the key to name another report: no successor
                // pins it, so only the comparison with the evidence shows it.
                var aad = Encoding.ASCII.GetBytes("lifeboat audit v1");
                var forged = head.Record with { Checksum = new string('0', 64) };
                var path = _repo.ObjectPath(head.Name);
                File.SetAttributes(path, FileAttributes.Normal);
                await File.WriteAllBytesAsync(path, Sealer.Seal(repository.Key.DataKey, JsonSerializer.SerializeToUtf8Bytes(forged, FormatJson.Options), aad));
                findings = [$"error: evidence '{original}' holds a report with SHA-256 {entry.Envelope.Sha256}, but audit record 3 (backup"];
                break;
        }

        var check = await _repo.Cli.RunAsync("check");

        check.ExitCode.Should().Be(3, check.ToString());
        foreach (var finding in findings)
        {
            check.Stderr.Should().Contain(finding);
        }
    }

    private async Task<JsonElement> CheckJsonAsync()
    {
        var check = await _repo.Cli.RunAsync("check", "--json");
        check.ExitCode.Should().Be(0, check.ToString());
        using var json = JsonDocument.Parse(check.Stdout);
        return json.RootElement.Clone();
    }

    public void Dispose() => _repo.Dispose();
}
