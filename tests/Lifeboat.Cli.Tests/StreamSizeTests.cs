using System.Text.Json;

namespace Lifeboat.Cli.Tests;

/// <summary>
/// <c>backup --stdin</c> of an empty input (a producer such as pg_dump that failed): refused with exit 17
/// and nothing saved, unless --allow-empty (issue 24).
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
}
