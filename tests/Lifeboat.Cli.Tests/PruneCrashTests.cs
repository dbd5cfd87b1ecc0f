using System.Diagnostics;
using System.Text.Json;
using Lifeboat.Repository;
using Xunit.Abstractions;

namespace Lifeboat.Cli.Tests;

public sealed class PruneCrashTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestRepo _repo = new();

    [Fact]
    public async Task Killing_prune_at_random_moments_never_costs_a_snapshot_and_a_rerun_completes()
    {
        var repository = await InProcessRepository.InitAsync(_repo, InProcessRepository.SmallPacks);
        var random = new Random(20261124);
        var live = new List<(SnapshotRecord Record, byte[] Data)>();
        var day = 0;
        var baseData = TestRepo.RandomBytes(2_000_000, 0);
        async Task AddSnapshotAsync()
        {
            // Each day changes a quarter of the stream, so forgetting old days leaves packs partly used.
            random.NextBytes(baseData.AsSpan(random.Next(0, 1_500_000), 500_000));
            var data = (byte[])baseData.Clone();
            live.Add((await InProcessRepository.BackupAsync(repository, data, DateTimeOffset.UnixEpoch.AddDays(day++)), data));
        }

        for (var i = 0; i < 6; i++)
        {
            await AddSnapshotAsync();
        }

        var kills = 0;
        var clock = Stopwatch.StartNew();
        var fullRun = TimeSpan.Zero;
        var floor = TimeSpan.Zero;
        for (var round = 0; round < 80 && kills < 20; round++)
        {
            // New work every round: one more day, the oldest (two) forgotten.
            await AddSnapshotAsync();
            while (live.Count > 4)
            {
                await repository.Storage.DeleteAsync(SnapshotStore.Prefix + live[0].Record.Id, CancellationToken.None);
                live.RemoveAt(0);
            }

            if (round == 0)
            {
                // One complete run, to learn how long a prune takes.
                var started0 = Stopwatch.StartNew();
                var complete = await _repo.Cli.RunAsync("prune", "--max-unused", "0%", "--json");
                complete.ExitCode.Should().Be(0, complete.ToString());
                fullRun = started0.Elapsed;
                var startup = Stopwatch.StartNew();
                (await _repo.Cli.RunAsync("snapshots", "--json")).ExitCode.Should().Be(0);
                floor = startup.Elapsed * 0.8 < fullRun / 2 ? startup.Elapsed * 0.8 : fullRun / 2;
                output.WriteLine($"a full prune: {fullRun.TotalMilliseconds:0} ms ({complete.Out.Length} bytes of report: {complete.Out.Replace('\n', ' ')}); opening the repository: {startup.Elapsed.TotalMilliseconds:0} ms");
                continue;
            }

            using var prune = _repo.Cli.Start("prune", "--max-unused", "0%");
            var started = Stopwatch.StartNew();
            await Task.Delay(floor + ((fullRun - floor) * random.NextDouble()));
            if (!prune.HasExited)
            {
                prune.Kill(entireProcessTree: true);
                kills++;
            }
            else
            {
                // Faster than expected (the machine is less busy now): aim earlier from now on.
                fullRun = started.Elapsed;
                floor = floor < fullRun / 2 ? floor : fullRun / 2;
            }

            await prune.WaitForExitAsync();
            output.WriteLine($"round {round}: prune {(prune.ExitCode == 0 ? "finished" : "killed")} after {started.Elapsed.TotalMilliseconds:0} ms; {clock.Elapsed.TotalSeconds:0.0} s so far");
            var report = await InProcessRepository.CheckAsync(repository);
            report.Problems.Should().BeEmpty($"round {round}, killed after {started.Elapsed.TotalMilliseconds:0} ms");
            foreach (var (record, data) in live)
            {
                (await InProcessRepository.DumpAsync(repository, record)).Should().Equal(data, $"snapshot {record.ShortId} must survive round {round}");
            }
        }

        kills.Should().BeGreaterThanOrEqualTo(20, $"a full prune took {fullRun.TotalMilliseconds:0} ms");
        var rerun = await _repo.Cli.RunAsync("prune", "--max-unused", "0%", "--json");
        rerun.ExitCode.Should().Be(0, rerun.ToString());
        var check = await _repo.Cli.RunAsync("check", "--read-data", "--json");
        check.ExitCode.Should().Be(0, check.ToString());
        using var checkJson = JsonDocument.Parse(check.Stdout);
        checkJson.RootElement.GetProperty("unreferencedPacks").GetInt32().Should().Be(0, "the rerun removed what the killed prunes left");
        var again = await _repo.Cli.RunAsync("prune", "--max-unused", "0%", "--dry-run", "--json");
        using var againJson = JsonDocument.Parse(again.Stdout);
        againJson.RootElement.GetProperty("nothingToDo").GetBoolean().Should().BeTrue(again.ToString());
        foreach (var (record, data) in live)
        {
            (await _repo.DumpAsync(record.ShortId)).Should().Equal(data);
        }

        output.WriteLine($"{kills} kills in {clock.Elapsed.TotalSeconds:0.0} s");
    }

    public void Dispose() => _repo.Dispose();
}
