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

    public void Dispose() => _repo.Dispose();
}
