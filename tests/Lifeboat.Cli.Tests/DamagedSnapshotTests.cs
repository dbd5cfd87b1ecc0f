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

    public void Dispose() => _repo.Dispose();
}
