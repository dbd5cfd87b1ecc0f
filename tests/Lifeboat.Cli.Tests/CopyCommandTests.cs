using System.Text.Json;

namespace Lifeboat.Cli.Tests;

public sealed class CopyCommandTests : IDisposable
{
    private readonly TestRepo _repo = new();

    [Fact]
    public async Task Copy_opens_the_source_with_its_own_password_copies_once_and_both_sides_check_clean()
    {
        var source = Path.Combine(_repo.Root, "source");
        var passwordFile = Path.Combine(_repo.Root, "source-password");
        await File.WriteAllTextAsync(passwordFile, "source password\n");
        await _repo.InitAsync();
        (await _repo.Cli.RunAsync(["-r", source, "--password-file", passwordFile, "init", "--kdf-memory", "8"])).ExitCode.Should().Be(0);
        var first = TestRepo.DumpLikeBytes(2_000_000, 1);
        var second = TestRepo.DumpLikeBytes(2_500_000, 2);
        (await _repo.Cli.RunAsync(first, ["-r", source, "--password-file", passwordFile, "backup", "--stdin", "--name", "data.bin"])).ExitCode.Should().Be(0);
        (await _repo.Cli.RunAsync(second, ["-r", source, "--password-file", passwordFile, "backup", "--stdin", "--name", "data.bin", "--tag", "t"])).ExitCode.Should().Be(0);

        var copy = await _repo.Cli.RunAsync("copy", "--from", source, "--from-password-file", passwordFile, "--json");
        var again = await _repo.Cli.RunAsync("copy", "--from", source, "--from-password-file", passwordFile);

        copy.ExitCode.Should().Be(0, copy.ToString());
        using (var json = JsonDocument.Parse(copy.Stdout))
        {
            json.RootElement.GetProperty("copied").GetInt32().Should().Be(2);
            json.RootElement.GetProperty("bytesRead").GetInt64().Should().Be(first.Length + second.Length);
        }

        again.ExitCode.Should().Be(0, again.ToString());
        again.Stderr.Should().Contain("0 snapshot(s) copied, 2 skipped");
        (await _repo.Cli.RunAsync("check", "--read-data")).ExitCode.Should().Be(0);
        (await _repo.Cli.RunAsync("-r", source, "--password-file", passwordFile, "check", "--read-data")).ExitCode.Should().Be(0);
        (await _repo.DumpAsync("latest")).Should().Equal(second);
        var listed = await _repo.Cli.RunAsync("snapshots", "--tag", "t", "--json");
        listed.Out.Should().Contain("copiedFrom");
    }

    [Fact]
    public async Task Backup_also_to_copies_the_new_snapshot_and_names_a_repository_it_could_not_reach()
    {
        var second = Path.Combine(_repo.Root, "second");
        var third = Path.Combine(_repo.Root, "third");
        var missing = Path.Combine(_repo.Root, "missing");
        var thirdPassword = Path.Combine(_repo.Root, "third-password");
        var mainPassword = Path.Combine(_repo.Root, "main-password");
        await File.WriteAllTextAsync(thirdPassword, "third password\n");
        await File.WriteAllTextAsync(mainPassword, TestRepo.Password);
        await _repo.InitAsync();
        (await _repo.Cli.RunAsync("-r", second, "init", "--kdf-memory", "8")).ExitCode.Should().Be(0);
        (await _repo.Cli.RunAsync("-r", third, "--password-file", thirdPassword, "init", "--kdf-memory", "8")).ExitCode.Should().Be(0);
        var data = TestRepo.DumpLikeBytes(1_500_000, 3);

        var ok = await _repo.Cli.RunAsync(data, ["backup", "--stdin", "--name", "data.bin", "--also-to", second]);
        var partly = await _repo.Cli.RunAsync(data, ["backup", "--stdin", "--name", "data.bin", "--json",
            "--also-to", missing, "--also-to", third, "--also-to-password-file", mainPassword, "--also-to-password-file", thirdPassword]);

        ok.ExitCode.Should().Be(0, ok.ToString());
        partly.ExitCode.Should().Be(10, partly.ToString());
        partly.Stderr.Should().Contain($"is saved in {_repo.Path_}, but copying it to {missing} failed");
        using var json = JsonDocument.Parse(partly.Stdout);
        var copies = json.RootElement.GetProperty("copies").EnumerateArray().ToList();
        copies.Select(c => c.GetProperty("ok").GetBoolean()).Should().Equal(false, true);
        (await Count(_repo.Path_, null)).Should().Be(2, "both backups are kept in the first repository");
        (await Count(second, null)).Should().Be(1);
        (await Count(third, thirdPassword)).Should().Be(1);
    }

    [Fact]
    public async Task Copy_copies_and_commits_every_readable_snapshot_names_a_damaged_one_and_exits_3()
    {
        var source = Path.Combine(_repo.Root, "source");
        await _repo.InitAsync();
        (await _repo.Cli.RunAsync("-r", source, "init", "--kdf-memory", "8")).ExitCode.Should().Be(0);
        var first = TestRepo.DumpLikeBytes(400_000, 41);
        var third = TestRepo.DumpLikeBytes(400_000, 43);
        var good1 = await BackupAsync(source, first);
        var bad = await BackupAsync(source, TestRepo.DumpLikeBytes(400_000, 42));
        var good3 = await BackupAsync(source, third);
        TestRepo.FlipByte(Path.Combine(source, "snapshots", bad));

        var copy = await _repo.Cli.RunAsync("copy", "--from", source, "--json");
        var again = await _repo.Cli.RunAsync("copy", "--from", source);
        var named = await _repo.Cli.RunAsync("copy", "--from", source, bad[..8], good3[..8]);
        var latest = await _repo.Cli.RunAsync("copy", "--from", source, "latest");

        copy.ExitCode.Should().Be(3, copy.ToString());
        copy.Stderr.Should().Contain($"snapshot {bad[..8]} of {source} cannot be read and was not copied")
            .And.Contain($"'lifeboat --repo {source} forget {bad[..8]}'");
        using (var json = JsonDocument.Parse(copy.Stdout))
        {
            json.RootElement.GetProperty("copied").GetInt32().Should().Be(2);
            json.RootElement.GetProperty("snapshots").EnumerateArray().Select(e => e.GetProperty("source").GetString()).Should().Equal(good1, good3);
            json.RootElement.GetProperty("damaged").EnumerateArray().Select(e => e.GetProperty("id").GetString()).Should().Equal(bad);
            json.RootElement.GetProperty("targetDamaged").GetArrayLength().Should().Be(0);
        }

        again.ExitCode.Should().Be(3, again.ToString());
        again.Stderr.Should().Contain("0 snapshot(s) copied, 2 skipped, 1 damaged not copied");
        named.ExitCode.Should().Be(3, named.ToString());
        named.Stderr.Should().Contain("0 snapshot(s) copied, 1 skipped, 1 damaged not copied");
        latest.ExitCode.Should().Be(3, latest.ToString());
        latest.Stderr.Should().Contain("'latest' is unknown").And.Contain("the newest readable one is " + good3[..8]);
        var check = await _repo.Cli.RunAsync("check", "--read-data");
        check.ExitCode.Should().Be(0, check.ToString());
        (await Count(_repo.Path_, null)).Should().Be(2);
        (await _repo.DumpAsync("latest")).Should().Equal(third);
    }

    [Fact]
    public async Task Copy_reports_a_damaged_snapshot_in_the_target_and_copies_again_what_has_no_readable_copy_there()
    {
        var source = Path.Combine(_repo.Root, "source");
        await _repo.InitAsync();
        (await _repo.Cli.RunAsync("-r", source, "init", "--kdf-memory", "8")).ExitCode.Should().Be(0);
        var first = TestRepo.DumpLikeBytes(400_000, 44);
        var good1 = await BackupAsync(source, first);
        var good2 = await BackupAsync(source, TestRepo.DumpLikeBytes(400_000, 45));
        var copy = await _repo.Cli.RunAsync("copy", "--from", source, "--json");
        copy.ExitCode.Should().Be(0, copy.ToString());
        string copyOf1;
        using (var json = JsonDocument.Parse(copy.Stdout))
        {
            copyOf1 = json.RootElement.GetProperty("snapshots").EnumerateArray().Single(e => e.GetProperty("source").GetString() == good1).GetProperty("target").GetString()!;
        }

        TestRepo.FlipByte(_repo.ObjectPath("snapshots/" + copyOf1));

        var again = await _repo.Cli.RunAsync("copy", "--from", source, "--json");

        again.ExitCode.Should().Be(3, again.ToString());
        again.Stderr.Should().Contain($"snapshot {copyOf1[..8]} of {_repo.Path_} cannot be read")
            .And.Contain("every snapshot with no readable copy there was copied (again)")
            .And.Contain($"forget {copyOf1[..8]}'");
        string recopied;
        using (var json = JsonDocument.Parse(again.Stdout))
        {
            var snapshots = json.RootElement.GetProperty("snapshots").EnumerateArray().ToList();
            snapshots.Select(e => (e.GetProperty("source").GetString(), e.GetProperty("skipped").GetBoolean())).Should().Equal((good1, false), (good2, true));
            recopied = snapshots[0].GetProperty("target").GetString()!;
            json.RootElement.GetProperty("targetDamaged").EnumerateArray().Select(e => e.GetProperty("id").GetString()).Should().Equal(copyOf1);
        }

        (await _repo.DumpAsync(recopied[..8])).Should().Equal(first);
    }

    private async Task<string> BackupAsync(string location, byte[] data)
    {
        var result = await _repo.Cli.RunAsync(data, ["-r", location, "backup", "--stdin", "--name", "data.bin", "--json"]);
        result.ExitCode.Should().Be(0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        return json.RootElement.GetProperty("snapshot").GetString()!;
    }

    private async Task<int> Count(string location, string? passwordFile)
    {
        var result = await _repo.Cli.RunAsync(passwordFile is null
            ? ["-r", location, "snapshots", "--json"]
            : ["-r", location, "--password-file", passwordFile, "snapshots", "--json"]);
        result.ExitCode.Should().Be(0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        return json.RootElement.GetArrayLength();
    }

    public void Dispose() => _repo.Dispose();
}
