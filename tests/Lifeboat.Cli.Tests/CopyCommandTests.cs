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
