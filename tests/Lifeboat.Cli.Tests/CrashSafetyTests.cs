using System.Diagnostics;

namespace Lifeboat.Cli.Tests;

public sealed class CrashSafetyTests : IDisposable
{
    private readonly TestRepo _repo = new();

    [Fact]
    public async Task Killing_backups_at_random_moments_never_damages_the_repository()
    {
        await _repo.InitAsync();
        var completed = new List<(string Snapshot, byte[] Data)>();
        var first = TestRepo.DumpLikeBytes(4_000_000, 1);
        completed.Add((await _repo.BackupAsync(first), first));
        static byte[] Data(bool compressible, int seed) =>
            compressible ? TestRepo.DumpLikeBytes(24_000_000, seed) : TestRepo.RandomBytes(24_000_000, seed);

        // The kills land at random moments of a backup's whole life, from start-up to the commit; how
        // long one takes depends on the machine and its load, so it is measured here for each kind of data.
        var lifetimes = new Dictionary<bool, TimeSpan>();
        foreach (var compressible in new[] { false, true })
        {
            var data = Data(compressible, 1000 + (compressible ? 1 : 0));
            var clock = Stopwatch.StartNew();
            completed.Add((await _repo.BackupAsync(data), data));
            lifetimes[compressible] = clock.Elapsed;
        }

        var random = new Random(20261123);
        var kills = 0;

        // Until 20 kills (at most 60 rounds): a backup that finishes before its kill (the machine got
        // faster than when its lifetime was measured) shortens the lifetime the next delays are drawn from.
        for (var round = 0; round < 60 && kills < 20; round++)
        {
            var compressible = round % 3 != 0;
            var data = Data(compressible, round);
            var startedAt = DateTime.Now;
            using var process = _repo.Cli.Start("backup", "--stdin", "--name", "data.bin", "--json");
            var feeding = FeedAsync(process, data);
            await Task.Delay(random.Next(30, Math.Max(60, (int)(lifetimes[compressible].TotalMilliseconds * 0.95))));
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                kills++;
            }
            else
            {
                // (StartTime reads /proc, which is gone once the process has been reaped; ExitTime is recorded)
                var lived = process.ExitTime - startedAt;
                lifetimes[compressible] = lived < lifetimes[compressible] ? lived : lifetimes[compressible];
            }

            await process.WaitForExitAsync();
            await feeding;
            var stdout = await process.StandardOutput.ReadToEndAsync();
            if (process.ExitCode == 0 && stdout.Contains("snapshot", StringComparison.Ordinal))
            {
                using var json = System.Text.Json.JsonDocument.Parse(stdout);
                completed.Add((json.RootElement.GetProperty("snapshot").GetString()!, data));
            }
        }

        kills.Should().BeGreaterThanOrEqualTo(20);
        var leftBehind = _repo.Files("locks").Count();
        var check = await _repo.Cli.RunAsync("check", "--read-data");
        check.ExitCode.Should().Be(0, check.ToString());

        // the first command after the kills removes the killed processes' locks, and says so once
        if (leftBehind > 0)
        {
            check.Stderr.Should().Contain($"removed {leftBehind} lock").And.Contain("ended without releasing them");
        }

        // a kill between writing a lock's temporary file and publishing it leaves a '.tmp-' file: not a lock
        // (listings skip it), reclaimed by prune's temporary-file cleanup
        _repo.Files("locks").Should().BeEmpty("locks of killed processes are removed when the next command takes its own");
        foreach (var (snapshot, data) in completed)
        {
            (await _repo.DumpAsync(snapshot)).Should().Equal(data, $"snapshot {snapshot} must survive the crashes");
        }

        var after = TestRepo.DumpLikeBytes(5_000_000, 99);
        var next = await _repo.BackupAsync(after);
        (await _repo.DumpAsync(next)).Should().Equal(after);
    }

    [Fact]
    public async Task Two_backups_into_one_repository_at_the_same_time_both_succeed()
    {
        await _repo.InitAsync();
        var a = TestRepo.DumpLikeBytes(20_000_000, 1);
        var b = TestRepo.DumpLikeBytes(20_000_000, 2);

        var results = await Task.WhenAll(
            _repo.Cli.RunAsync(a, "backup", "--stdin", "--name", "a", "--json"),
            _repo.Cli.RunAsync(b, "backup", "--stdin", "--name", "b", "--json"));

        results.Should().OnlyContain(r => r.ExitCode == 0);
        (await _repo.DumpAsync("latest", "a").ContinueWith(_ => 0)).Should().Be(0);
        var check = await _repo.Cli.RunAsync("check", "--read-data");
        check.ExitCode.Should().Be(0, check.ToString());
        var list = await _repo.Cli.RunAsync("snapshots", "--json");
        System.Text.Json.JsonDocument.Parse(list.Stdout).RootElement.GetArrayLength().Should().Be(2);
    }

    private static async Task FeedAsync(Process process, byte[] data)
    {
        try
        {
            await process.StandardInput.BaseStream.WriteAsync(data);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
        }
    }

    public void Dispose() => _repo.Dispose();
}
