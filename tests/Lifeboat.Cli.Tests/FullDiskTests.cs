using Lifeboat.Testing;

namespace Lifeboat.Cli.Tests;

/// <summary>
/// A repository on a file system that fills up during a backup (a small tmpfs, for real): exit 14 naming
/// the store and what to do, nothing already saved is lost, and the next backup after freeing space
/// succeeds (issue 24).
/// </summary>
public sealed class FullDiskTests : IDisposable
{
    private readonly TestRepo _repo = new();

    [TmpfsFact]
    public async Task A_backup_that_fills_the_disk_exits_14_loses_nothing_and_the_next_one_succeeds_once_space_is_freed()
    {
        using var mount = SmallTmpfs.Mount("24m");
        var location = Path.Combine(mount.Path, "repo");
        _repo.Cli.Environment["LIFEBOAT_REPO"] = location;
        await _repo.InitAsync();
        var saved = TestRepo.RandomBytes(300_000, 1);
        var savedId = await _repo.BackupAsync(saved, "saved.bin");
        var ballast = Path.Combine(mount.Path, "ballast");
        await File.WriteAllBytesAsync(ballast, new byte[new DriveInfo(mount.Path).AvailableFreeSpace - (2 << 20)]);
        var big = TestRepo.RandomBytes(8 << 20, 2);

        var full = await _repo.Cli.RunAsync(big, "backup", "--stdin", "--name", "big.bin");

        full.ExitCode.Should().Be(14, full.ToString());
        full.Stderr.Should().Contain("no space left").And.Contain(location)
            .And.Contain("free space on that file system").And.Contain("nothing already saved is lost");
        var check = await _repo.Cli.RunAsync("check", "--read-data");
        check.ExitCode.Should().Be(0, "a full disk leaves the repository as it was: " + check);
        (await _repo.DumpAsync(savedId[..8], "saved.bin")).Should().Equal(saved);
        Directory.EnumerateFiles(location, ".tmp-*", SearchOption.AllDirectories).Should().BeEmpty("the failed write removed its temporary file");

        File.Delete(ballast);
        var again = await _repo.Cli.RunAsync(big, "backup", "--stdin", "--name", "big.bin");

        again.ExitCode.Should().Be(0, again.ToString());
        (await _repo.DumpAsync("latest", "big.bin")).Should().Equal(big);
        (await _repo.Cli.RunAsync("check")).ExitCode.Should().Be(0);
    }

    public void Dispose() => _repo.Dispose();
}
