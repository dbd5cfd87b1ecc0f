using System.Text.Json;

namespace Lifeboat.Cli.Tests;

public sealed class BasicCommandTests : IDisposable
{
    private readonly TestRepo _repo = new();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(10 * 1024 * 1024)]
    public async Task A_stream_backed_up_from_stdin_dumps_back_identical(int size)
    {
        await _repo.InitAsync();
        var data = TestRepo.DumpLikeBytes(size, size);

        var snapshot = await _repo.BackupAsync(data, "data.bin", size == 0 ? ["--allow-empty"] : []);

        (await _repo.DumpAsync(snapshot[..8])).Should().Equal(data);
        (await _repo.DumpAsync("latest")).Should().Equal(data);
    }

    [Fact]
    public async Task Snapshots_and_ls_describe_what_was_saved_in_json()
    {
        await _repo.InitAsync();
        await _repo.BackupAsync(TestRepo.DumpLikeBytes(1000, 1), "db.dump", "--tag", "nightly", "--tag", "pre-deploy", "--time", "2026-01-31T02:00:00Z");

        var list = await _repo.Cli.RunAsync("snapshots", "--json");
        list.ExitCode.Should().Be(0, list.ToString());
        using var json = JsonDocument.Parse(list.Stdout);
        var snapshot = json.RootElement.EnumerateArray().Single();
        snapshot.GetProperty("source").GetString().Should().Be("db.dump");
        snapshot.GetProperty("time").GetDateTimeOffset().Should().Be(DateTimeOffset.Parse("2026-01-31T02:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        snapshot.GetProperty("tags").EnumerateArray().Select(t => t.GetString()).Should().Equal("nightly", "pre-deploy");

        var ls = await _repo.Cli.RunAsync("ls", "latest", "--json");
        using var streams = JsonDocument.Parse(ls.Stdout);
        streams.RootElement.GetProperty("streams")[0].GetProperty("size").GetInt64().Should().Be(1000);
    }

    [Fact]
    public async Task A_missing_repository_exits_10_and_says_how_to_create_one()
    {
        var result = await _repo.Cli.RunAsync("snapshots");

        result.ExitCode.Should().Be(10);
        result.Stderr.Should().Contain("lifeboat init");
    }

    [Fact]
    public async Task A_wrong_password_exits_12_and_never_echoes_the_password()
    {
        await _repo.InitAsync();
        _repo.Cli.Environment["LIFEBOAT_PASSWORD"] = "not-the-password-xyz";

        var result = await _repo.Cli.RunAsync("snapshots");

        result.ExitCode.Should().Be(12);
        result.Stderr.Should().Contain("wrong password").And.NotContain("not-the-password-xyz");
    }

    [Fact]
    public async Task No_password_and_no_terminal_is_a_usage_error_that_names_the_sources()
    {
        await _repo.InitAsync();
        _repo.Cli.Environment["LIFEBOAT_PASSWORD"] = null;

        var result = await _repo.Cli.RunAsync([], "snapshots");

        result.ExitCode.Should().Be(2);
        result.Stderr.Should().Contain("LIFEBOAT_PASSWORD").And.Contain("--password-file");
    }

    [Fact]
    public async Task A_password_file_opens_the_repository()
    {
        await _repo.InitAsync();
        var file = Path.Combine(_repo.Root, "pw");
        await File.WriteAllTextAsync(file, TestRepo.Password + "\n");
        _repo.Cli.Environment["LIFEBOAT_PASSWORD"] = null;

        var result = await _repo.Cli.RunAsync("snapshots", "--password-file", file);

        result.ExitCode.Should().Be(0, result.ToString());
    }

    [Fact]
    public async Task Init_refuses_a_location_that_holds_a_repository()
    {
        await _repo.InitAsync();

        var result = await _repo.Cli.RunAsync("init", "--kdf-memory", "8");

        result.ExitCode.Should().Be(2);
        result.Stderr.Should().Contain("already");
    }

    [Theory]
    [InlineData("64", 20, 200)]
    [InlineData("1024", 2, 12)]
    public async Task Init_chunk_size_sets_how_finely_streams_are_cut(string kib, int minBlobs, int maxBlobs)
    {
        (await _repo.Cli.RunAsync("init", "--kdf-memory", "8", "--chunk-size", kib)).ExitCode.Should().Be(0);
        var data = TestRepo.RandomBytes(4 * 1024 * 1024, 5);

        var result = await _repo.Cli.RunAsync(data, ["backup", "--stdin", "--name", "data.bin", "--json"]);

        result.ExitCode.Should().Be(0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        json.RootElement.GetProperty("summary").GetProperty("newBlobs").GetInt32().Should().BeInRange(minBlobs, maxBlobs);
        (await _repo.DumpAsync("latest")).Should().Equal(data);
    }

    [Theory]
    [InlineData("100")]
    [InlineData("32")]
    [InlineData("16384")]
    public async Task Init_refuses_a_chunk_size_that_is_not_a_power_of_two_in_range(string kib)
    {
        var result = await _repo.Cli.RunAsync("init", "--kdf-memory", "8", "--chunk-size", kib);

        result.ExitCode.Should().Be(2, result.ToString());
        result.Stderr.Should().Contain("--chunk-size").And.Contain("power of two");
        _repo.Files("").Should().BeEmpty("nothing is created when the options are wrong");
    }

    [Theory]
    [InlineData("snapshots", "--no-such-option")]
    [InlineData("backup", "--stdin")]
    [InlineData("backup", "--stdin", "--name", "x", "--time", "yesterday-ish")]
    [InlineData("check", "--read-data-subset", "150%")]
    [InlineData("no-such-command")]
    public async Task Bad_command_lines_exit_2_with_a_message(params string[] args)
    {
        await _repo.InitAsync();

        var result = await _repo.Cli.RunAsync([1, 2, 3], args);

        result.ExitCode.Should().Be(2, result.ToString());
        result.Stderr.Should().StartWith("lifeboat: ");
    }

    [Fact]
    public async Task Unknown_snapshots_and_streams_exit_13()
    {
        await _repo.InitAsync();
        var snapshot = await _repo.BackupAsync([1, 2, 3]);

        (await _repo.Cli.RunAsync("dump", "abcdef12", "data.bin")).ExitCode.Should().Be(13);
        var noStream = await _repo.Cli.RunAsync("dump", snapshot, "other.bin");
        noStream.ExitCode.Should().Be(13);
        noStream.Stderr.Should().Contain("data.bin");
    }

    [Fact]
    public async Task Dump_to_a_file_creates_it_only_when_complete()
    {
        await _repo.InitAsync();
        var data = TestRepo.DumpLikeBytes(3_000_000, 5);
        await _repo.BackupAsync(data);
        var target = Path.Combine(_repo.Root, "out.bin");

        var result = await _repo.Cli.RunAsync("dump", "latest", "data.bin", "--output", target);

        result.ExitCode.Should().Be(0, result.ToString());
        (await File.ReadAllBytesAsync(target)).Should().Equal(data);
        (await _repo.Cli.RunAsync("dump", "latest", "data.bin", "--output", target)).ExitCode.Should().Be(2, "an existing file is never overwritten");
    }

    [Fact]
    public async Task Errors_are_json_in_json_mode()
    {
        var result = await _repo.Cli.RunAsync("snapshots", "--json");

        result.ExitCode.Should().Be(10);
        using var json = JsonDocument.Parse(result.Stdout);
        json.RootElement.GetProperty("exitCode").GetInt32().Should().Be(10);
    }

    public void Dispose() => _repo.Dispose();
}
