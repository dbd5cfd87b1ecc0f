using System.Text.Json;

namespace Lifeboat.Cli.Tests;

/// <summary>
/// <c>backup --stdin</c> of an empty input (a producer such as pg_dump that failed) and of a stream far
/// smaller than the previous one of its name: refused with exit 17 and nothing saved, or saved with a
/// warning on stderr, in --json and in the evidence (issue 24).
/// </summary>
public sealed class StreamSizeTests : IDisposable
{
    private readonly TestRepo _repo = new();

    [Fact]
    public async Task An_empty_stdin_exits_17_says_the_producer_probably_failed_and_saves_nothing()
    {
        await _repo.InitAsync();

        var plain = await _repo.Cli.RunAsync([], "backup", "--stdin", "--name", "db.dump");
        var json = await _repo.Cli.RunAsync([], "backup", "--stdin", "--name", "db.dump", "--json");

        plain.ExitCode.Should().Be(17, plain.ToString());
        plain.Stderr.Should().Contain("read 0 bytes from standard input").And.Contain("(e.g. pg_dump) probably failed")
            .And.Contain("nothing was saved").And.Contain("--allow-empty");
        plain.Stderr.Should().NotContain("saved:");
        json.ExitCode.Should().Be(17, json.ToString());
        using (var error = JsonDocument.Parse(json.Stdout))
        {
            error.RootElement.GetProperty("exitCode").GetInt32().Should().Be(17);
            error.RootElement.GetProperty("error").GetString().Should().Contain("read 0 bytes from standard input");
        }

        (await SnapshotsAsync()).Should().BeEmpty("an empty input is not a backup");
        _repo.Files("data").Should().BeEmpty("nothing was written for it");
        var backups = await AuditedBackupsAsync();
        backups.Should().HaveCount(2).And.OnlyContain(r => r.GetProperty("status").GetString() == "failed", "the refused backups are audited as failed, never ok");
        backups[0].GetProperty("error").GetString().Should().Contain("read 0 bytes");
    }

    [Fact]
    public async Task An_empty_stdin_with_allow_empty_is_saved_as_an_empty_stream()
    {
        await _repo.InitAsync();

        var result = await _repo.Cli.RunAsync([], "backup", "--stdin", "--name", "empty.bin", "--allow-empty", "--json");

        result.ExitCode.Should().Be(0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var id = json.RootElement.GetProperty("snapshot").GetString()!;
        json.RootElement.GetProperty("warnings").GetArrayLength().Should().Be(0);
        (await SnapshotsAsync()).Should().Equal(id);
        (await _repo.DumpAsync(id[..8], "empty.bin")).Should().BeEmpty();
    }

    [Fact]
    public async Task Allow_empty_without_stdin_is_a_usage_error()
    {
        await _repo.InitAsync();

        var result = await _repo.Cli.RunAsync([], "backup", "--allow-empty");

        result.ExitCode.Should().Be(2, result.ToString());
        result.Stderr.Should().Contain("--allow-empty goes with --stdin");
    }

    [Fact]
    public async Task A_stream_below_half_of_its_previous_snapshot_is_saved_with_a_warning_on_stderr_in_json_and_in_the_evidence()
    {
        await _repo.InitAsync();
        var previous = await _repo.BackupAsync(TestRepo.DumpLikeBytes(100_000, 1), "db.dump");
        await _repo.BackupAsync(TestRepo.DumpLikeBytes(1_000_000, 2), "other.dump");

        var plain = await _repo.Cli.RunAsync(TestRepo.DumpLikeBytes(40_000, 3), "backup", "--stdin", "--name", "db.dump");
        var json = await _repo.Cli.RunAsync(TestRepo.DumpLikeBytes(15_000, 4), "backup", "--stdin", "--name", "db.dump", "--json");

        plain.ExitCode.Should().Be(0, plain.ToString());
        plain.Stderr.Should().Contain("saved: 39.1 KiB read");
        plain.Stderr.Should().Contain($"warning: 'db.dump' is 40,000 bytes, 40% of the 100,000 bytes of its previous snapshot {previous[..8]} (")
            .And.Contain(" UTC): check that the program piping it in (e.g. pg_dump) did not fail or stop half-way");
        json.ExitCode.Should().Be(0, json.ToString());
        json.Stderr.Should().Contain("warning: 'db.dump' is 15,000 bytes, 37.5% of the 40,000 bytes", "with --json the warning is on stderr too, compared with the newest snapshot");
        string id;
        using (var output = JsonDocument.Parse(json.Stdout))
        {
            id = output.RootElement.GetProperty("snapshot").GetString()!;
            output.RootElement.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()).Should().ContainSingle()
                .Which.Should().Contain("'db.dump' is 15,000 bytes, 37.5% of the 40,000 bytes");
        }

        var (evidenceId, evidence) = await BackupEvidenceAsync(id);
        var warning = evidence.GetProperty("warnings").EnumerateArray().Should().ContainSingle().Subject;
        warning.GetProperty("object").GetString().Should().Be("db.dump");
        warning.GetProperty("message").GetString().Should().Contain("15,000 bytes, 37.5% of the 40,000 bytes of its previous snapshot");
        var markdown = await _repo.Cli.RunAsync("evidence", "show", evidenceId, "--format", "md");
        markdown.Out.Should().Contain("## Warnings about the source").And.Contain("The snapshot was saved").And.Contain("15,000 bytes");
    }

    [Fact]
    public async Task A_stream_at_half_of_its_previous_snapshot_or_more_or_of_a_new_name_gives_no_warning()
    {
        await _repo.InitAsync();
        await _repo.BackupAsync(TestRepo.DumpLikeBytes(100_000, 1), "db.dump");

        var half = await _repo.Cli.RunAsync(TestRepo.DumpLikeBytes(50_000, 2), "backup", "--stdin", "--name", "db.dump", "--json");
        var other = await _repo.Cli.RunAsync(TestRepo.DumpLikeBytes(10, 3), "backup", "--stdin", "--name", "new.dump", "--json");

        foreach (var result in new[] { half, other })
        {
            result.ExitCode.Should().Be(0, result.ToString());
            result.Stderr.Should().NotContain("warning");
            using var json = JsonDocument.Parse(result.Stdout);
            json.RootElement.GetProperty("warnings").GetArrayLength().Should().Be(0);
        }
    }

    public void Dispose() => _repo.Dispose();

    private async Task<List<string>> SnapshotsAsync()
    {
        var list = await _repo.Cli.RunAsync("snapshots", "--json");
        list.ExitCode.Should().Be(0, list.ToString());
        using var json = JsonDocument.Parse(list.Stdout);
        return [.. json.RootElement.EnumerateArray().Select(s => s.GetProperty("id").GetString()!)];
    }

    private async Task<List<JsonElement>> AuditedBackupsAsync()
    {
        var log = await _repo.Cli.RunAsync("audit", "--json");
        log.ExitCode.Should().Be(0, log.ToString());
        using var json = JsonDocument.Parse(log.Stdout);
        return [.. json.RootElement.EnumerateArray().Select(e => e.GetProperty("record").Clone()).Where(r => r.GetProperty("operation").GetString() == "backup")];
    }

    /// <summary>The id and the report body (JSON) of the evidence of the backup that made <paramref name="snapshot"/>.</summary>
    private async Task<(string Id, JsonElement Body)> BackupEvidenceAsync(string snapshot)
    {
        var list = await _repo.Cli.RunAsync("evidence", "list", "--kind", "backup", "--json");
        list.ExitCode.Should().Be(0, list.ToString());
        using var entries = JsonDocument.Parse(list.Stdout);
        var id = entries.RootElement.EnumerateArray().Single(e => e.GetProperty("snapshot").GetString() == snapshot).GetProperty("id").GetString()!;
        var shown = await _repo.Cli.RunAsync("evidence", "show", id, "--format", "json");
        shown.ExitCode.Should().Be(0, shown.ToString());
        using var report = JsonDocument.Parse(shown.Stdout);
        return (id, report.RootElement.Clone());
    }
}
