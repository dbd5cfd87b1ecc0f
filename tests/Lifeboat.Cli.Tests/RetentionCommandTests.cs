using System.Text.Json;
using Lifeboat.Repository;

namespace Lifeboat.Cli.Tests;

public sealed class RetentionCommandTests : IDisposable
{
    private readonly TestRepo _repo = new();

    [Fact]
    public async Task Forget_over_a_simulated_year_keeps_exactly_the_grandfather_father_son_set_and_the_held_snapshots()
    {
        await _repo.InitAsync();
        var data = TestRepo.DumpLikeBytes(50_000, 1);
        var first = await _repo.BackupAsync(data, "data.bin", "--time", "2025-01-01T23:30:00Z");
        var repository = await InProcessRepository.OpenAsync(_repo);
        var template = (await SnapshotStore.FindAsync(repository, first, CancellationToken.None)).Snapshot;
        var times = new List<DateTimeOffset> { template.Time };
        for (var day = 1; day < 365; day++)
        {
            times.Add(template.Time.AddDays(day));
        }

        for (var hour = 0; hour < 7 * 24; hour += 6)
        {
            times.Add(new DateTimeOffset(2025, 12, 25, 0, 0, 0, TimeSpan.Zero).AddHours(hour));
        }

        await Parallel.ForEachAsync(times.Skip(1), async (time, ct) => await SnapshotStore.SaveAsync(repository, template with { Time = time }, ct));
        var all = await SnapshotStore.LoadAllAsync(repository, null, CancellationToken.None);
        var held = all[100];
        var hold = await _repo.Cli.RunAsync("hold", held.Id.ToString(), "--until", "forever", "--reason", "pre-migration");
        hold.ExitCode.Should().Be(0, hold.ToString());

        var forget = await _repo.Cli.RunAsync("forget", "--keep-daily", "30", "--keep-weekly", "12", "--keep-monthly", "12", "--keep-yearly", "7",
            "--time-zone", "Europe/Berlin", "--json");

        forget.ExitCode.Should().Be(0, forget.ToString());
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        DateTime Local(DateTimeOffset t) => TimeZoneInfo.ConvertTime(t, zone).DateTime;
        var expected = new HashSet<DateTimeOffset>(
            Newest(times, t => Local(t).Date, 30)
                .Concat(Newest(times, t => Local(t).Date.AddDays(-(((int)Local(t).DayOfWeek + 6) % 7)), 12))
                .Concat(Newest(times, t => (Local(t).Year, Local(t).Month), 12))
                .Concat(Newest(times, t => Local(t).Year, 7)))
        {
            held.Snapshot.Time,
        };
        var remaining = (await SnapshotStore.LoadAllAsync(repository, null, CancellationToken.None)).Select(r => r.Snapshot.Time).ToList();
        remaining.Order().Should().Equal(expected.Order());
        using var json = JsonDocument.Parse(forget.Stdout);
        json.RootElement.GetProperty("removed").GetInt32().Should().Be(times.Count - expected.Count);
        json.RootElement.GetProperty("groups")[0].GetProperty("snapshots").EnumerateArray()
            .Single(s => s.GetProperty("id").GetString() == held.Id.ToString())
            .GetProperty("reasons")[0].GetString().Should().Be("held forever (pre-migration)");
        (await _repo.DumpAsync("latest")).Should().Equal(data);
    }

    [Fact]
    public async Task Forget_with_prune_removes_what_no_rule_keeps_and_the_rest_stays_restorable()
    {
        await _repo.InitAsync();
        var streams = new List<(string Id, byte[] Data)>();
        for (var day = 1; day <= 6; day++)
        {
            var data = TestRepo.RandomBytes(1_500_000, day);
            string[] extra = day == 2 ? ["--tag", "pre-deploy"] : [];
            streams.Add((await _repo.BackupAsync(data, "data.bin", ["--time", $"2026-02-0{day}T03:00:00Z", .. extra]), data));
        }

        (await _repo.Cli.RunAsync("hold", streams[0].Id[..8], "--until", "2099-01-01", "--reason", "audit")).ExitCode.Should().Be(0);
        var sizeBefore = _repo.Files("data").Sum(f => new FileInfo(f).Length);

        var dryRun = await _repo.Cli.RunAsync("forget", "--keep-last", "2", "--keep-tag", "pre-deploy", "--dry-run");
        dryRun.ExitCode.Should().Be(0, dryRun.ToString());
        dryRun.Out.Should().Contain("would remove 2").And.Contain("held until 2099-01-02 00:00Z (audit)").And.Contain("tag pre-deploy");
        _repo.Files("snapshots").Should().HaveCount(6);

        var forget = await _repo.Cli.RunAsync("forget", "--keep-last", "2", "--keep-tag", "pre-deploy", "--prune");

        forget.ExitCode.Should().Be(0, forget.ToString());
        forget.Stderr.Should().Contain("removed 2 snapshot(s)").And.Contain("freed");
        _repo.Files("snapshots").Should().HaveCount(4);
        _repo.Files("data").Sum(f => new FileInfo(f).Length).Should().BeLessThan(sizeBefore - 2_500_000);
        var check = await _repo.Cli.RunAsync("check", "--read-data");
        check.ExitCode.Should().Be(0, check.ToString());
        foreach (var (id, data) in streams.Where((_, i) => i is 0 or 1 or 4 or 5))
        {
            (await _repo.DumpAsync(id[..8])).Should().Equal(data);
        }
    }

    [Fact]
    public async Task A_policy_that_would_empty_a_source_is_refused_with_exit_code_15_and_removes_nothing()
    {
        await _repo.InitAsync();
        await _repo.BackupAsync(TestRepo.RandomBytes(1000, 1), "a", "--time", "2026-01-01T00:00:00Z");
        await _repo.BackupAsync(TestRepo.RandomBytes(1000, 2), "a", "--time", "2026-01-02T00:00:00Z");

        var refused = await _repo.Cli.RunAsync("forget", "--keep-tag", "never-used");
        var noPolicy = await _repo.Cli.RunAsync("forget");
        var tooFew = await _repo.Cli.RunAsync("forget", "--keep-last", "1", "--min-keep", "2");

        refused.ExitCode.Should().Be(15, refused.ToString());
        refused.Stderr.Should().Contain("--min-keep 1").And.Contain("nothing was removed");
        refused.Out.Should().Contain("remove");
        noPolicy.ExitCode.Should().Be(2, noPolicy.ToString());
        noPolicy.Stderr.Should().Contain("--keep-");
        tooFew.ExitCode.Should().Be(15, tooFew.ToString());
        _repo.Files("snapshots").Should().HaveCount(2);
        var allowed = await _repo.Cli.RunAsync("forget", "--keep-tag", "never-used", "--min-keep", "0");
        allowed.ExitCode.Should().Be(0, allowed.ToString());
        _repo.Files("snapshots").Should().BeEmpty();
    }

    [Fact]
    public async Task Holds_are_listed_released_and_kept_as_an_audit_trail()
    {
        await _repo.InitAsync();
        var id = await _repo.BackupAsync(TestRepo.RandomBytes(1000, 1), "a", "--time", "2020-01-01T00:00:00Z");
        await _repo.BackupAsync(TestRepo.RandomBytes(1000, 2), "a");
        (await _repo.Cli.RunAsync("hold", id[..8], "--until", "forever", "--reason", "migration")).ExitCode.Should().Be(0);

        var kept = await _repo.Cli.RunAsync("forget", "--keep-last", "1");
        var unhold = await _repo.Cli.RunAsync("unhold", id[..8], "--reason", "migration verified");
        var holds = await _repo.Cli.RunAsync("holds", "--all", "--json");
        var forgotten = await _repo.Cli.RunAsync("forget", "--keep-last", "1");

        kept.ExitCode.Should().Be(0, kept.ToString());
        kept.Out.Should().Contain("held forever (migration)");
        unhold.ExitCode.Should().Be(0, unhold.ToString());
        using var json = JsonDocument.Parse(holds.Stdout);
        var record = json.RootElement.EnumerateArray().Single();
        record.GetProperty("state").GetString().Should().Be("released");
        record.GetProperty("released").GetProperty("reason").GetString().Should().Be("migration verified");
        forgotten.Stderr.Should().Contain("removed 1 snapshot(s)");
        _repo.Files("holds").Should().HaveCount(2, "the hold and its release stay, for audit");
    }

    [Fact]
    public async Task Forget_by_id_removes_exactly_the_named_snapshots_and_is_audited_while_a_dry_run_only_lists_them()
    {
        await _repo.InitAsync();
        var first = await _repo.BackupAsync(TestRepo.RandomBytes(200_000, 1), "a", "--time", "2026-01-01T00:00:00Z");
        var second = await _repo.BackupAsync(TestRepo.RandomBytes(200_000, 2), "a", "--time", "2026-01-02T00:00:00Z");
        var kept = TestRepo.RandomBytes(200_000, 3);
        var third = await _repo.BackupAsync(kept, "a", "--time", "2026-01-03T00:00:00Z");

        var dryRun = await _repo.Cli.RunAsync("forget", first[..6], "snapshots/" + second, "--dry-run", "--json");
        var afterDryRun = _repo.Files("snapshots").Count();
        var forget = await _repo.Cli.RunAsync("forget", first[..6], second, first, "--json");

        dryRun.ExitCode.Should().Be(0, dryRun.ToString());
        using (var json = JsonDocument.Parse(dryRun.Stdout))
        {
            json.RootElement.GetProperty("dryRun").GetBoolean().Should().BeTrue();
            json.RootElement.GetProperty("snapshots").EnumerateArray().Select(e => e.GetProperty("id").GetString()).Should().Equal(first, second);
            json.RootElement.GetProperty("snapshots")[0].GetProperty("source").GetString().Should().Be("a");
        }

        afterDryRun.Should().Be(3, "a dry run removes nothing");
        forget.ExitCode.Should().Be(0, forget.ToString());
        using (var json = JsonDocument.Parse(forget.Stdout))
        {
            json.RootElement.GetProperty("removed").GetInt32().Should().Be(2, "a snapshot named twice is removed once");
        }

        _repo.Files("snapshots").Select(Path.GetFileName).Should().Equal(third);
        (await _repo.DumpAsync(third[..8], "a")).Should().Equal(kept);
        var forgets = await AuditRecordsAsync("forget");
        forgets.Should().ContainSingle("the dry run is not audited");
        forgets[0].GetProperty("status").GetString().Should().Be("ok");
        forgets[0].GetProperty("snapshots").EnumerateArray().Select(e => e.GetString()).Should().BeEquivalentTo([first, second]);
    }

    [Fact]
    public async Task Forget_by_id_refuses_unknown_ids_latest_and_ids_mixed_with_a_policy_and_removes_nothing()
    {
        await _repo.InitAsync();
        var id = await _repo.BackupAsync(TestRepo.RandomBytes(1000, 1), "a");
        var unknown = new string(id[0] == '0' ? '1' : '0', 8);

        var notFound = await _repo.Cli.RunAsync("forget", id[..8], unknown);
        var latest = await _repo.Cli.RunAsync("forget", "latest");
        var mixed = await _repo.Cli.RunAsync("forget", id[..8], "--keep-last", "1");
        var mixedDefault = await _repo.Cli.RunAsync("forget", id[..8], "--time-zone", "UTC", "--json");

        notFound.ExitCode.Should().Be(13, notFound.ToString());
        notFound.Stderr.Should().Contain($"no snapshot id starts with '{unknown}'");
        latest.ExitCode.Should().Be(2, latest.ToString());
        latest.Stderr.Should().Contain("4 hex digits");
        mixed.ExitCode.Should().Be(2, mixed.ToString());
        mixed.Stderr.Should().Contain("not both").And.Contain("--keep-last");
        mixedDefault.ExitCode.Should().Be(2, "an option given explicitly counts even with its default value");
        JsonExitCode(mixedDefault).Should().Be(2);

        _repo.Files("snapshots").Should().ContainSingle();
    }

    [Fact]
    public async Task Forget_by_id_refuses_a_held_snapshot_with_exit_16_even_when_damaged_and_unhold_lets_it_go()
    {
        await _repo.InitAsync();
        var free = await _repo.BackupAsync(TestRepo.RandomBytes(1000, 1), "a");
        var held = await _repo.BackupAsync(TestRepo.RandomBytes(1000, 2), "a");
        (await _repo.Cli.RunAsync("hold", held[..8], "--until", "forever", "--reason", "pre-migration")).ExitCode.Should().Be(0);

        var refused = await _repo.Cli.RunAsync("forget", free[..8], held[..8]);
        var dryRun = await _repo.Cli.RunAsync("forget", held[..8], "--dry-run", "--json");
        TestRepo.FlipByte(_repo.ObjectPath("snapshots/" + held));
        var damagedRefused = await _repo.Cli.RunAsync("forget", held[..8]);
        var unhold = await _repo.Cli.RunAsync("unhold", held[..8], "--reason", "the snapshot is damaged");
        var forget = await _repo.Cli.RunAsync("forget", held[..8]);

        refused.ExitCode.Should().Be(16, refused.ToString());
        refused.Stderr.Should().Contain($"snapshot {held[..8]} is held forever (pre-migration)").And.Contain("nothing was removed").And.Contain($"lifeboat unhold {held[..8]}");
        dryRun.ExitCode.Should().Be(16, dryRun.ToString());
        JsonExitCode(dryRun).Should().Be(16, "errors are JSON too");

        damagedRefused.ExitCode.Should().Be(16, damagedRefused.ToString());
        unhold.ExitCode.Should().Be(0, unhold.ToString());
        forget.ExitCode.Should().Be(0, forget.ToString());
        forget.Stderr.Should().Contain("removed 1 snapshot(s), 1 of them damaged");
        _repo.Files("snapshots").Select(Path.GetFileName).Should().Equal(free);
    }

    [Fact]
    public async Task Damaged_and_undecryptable_snapshots_are_forgotten_by_id_then_prune_runs_and_check_is_clean()
    {
        await _repo.InitAsync();
        var keptData = TestRepo.RandomBytes(1_500_000, 1);
        var kept = await _repo.BackupAsync(keptData, "a");
        var damaged = await _repo.BackupAsync(TestRepo.RandomBytes(1_500_000, 2), "a");
        TestRepo.FlipByte(_repo.ObjectPath("snapshots/" + damaged));
        var foreign = await ForeignSnapshotAsync();
        var dataBefore = _repo.Files("data").Sum(f => new FileInfo(f).Length);

        var check = await _repo.Cli.RunAsync("check");
        var pruneRefused = await _repo.Cli.RunAsync("prune");
        var policyRefused = await _repo.Cli.RunAsync("forget", "--keep-last", "1");
        var dataAfterRefusals = _repo.Files("data").Sum(f => new FileInfo(f).Length);
        var dryRun = await _repo.Cli.RunAsync("forget", damaged[..8], foreign[..8], "--dry-run", "--prune", "--json");
        var forget = await _repo.Cli.RunAsync("forget", damaged[..8], foreign[..8]);
        var prune = await _repo.Cli.RunAsync("prune");
        var clean = await _repo.Cli.RunAsync("check", "--read-data");

        check.ExitCode.Should().Be(3, check.ToString());
        check.Stderr.Should().Contain($"snapshots/{damaged}").And.Contain($"snapshots/{foreign}");
        pruneRefused.ExitCode.Should().Be(3, pruneRefused.ToString());
        pruneRefused.Stderr.Should().Contain("2 snapshot(s) cannot be read").And.Contain("stopped before changing anything")
            .And.Contain($"lifeboat forget {string.Join(' ', new[] { damaged[..8], foreign[..8] }.Order(StringComparer.Ordinal))}");
        policyRefused.ExitCode.Should().Be(3, policyRefused.ToString());
        dataAfterRefusals.Should().Be(dataBefore, "a refused prune removes nothing");
        dryRun.ExitCode.Should().Be(0, dryRun.ToString());
        using (var json = JsonDocument.Parse(dryRun.Stdout))
        {
            var named = json.RootElement.GetProperty("snapshots").EnumerateArray().ToList();
            named.Select(e => e.GetProperty("id").GetString()).Should().Equal(damaged, foreign);
            named[0].GetProperty("damaged").GetString().Should().Contain("does not match its name");
            named[1].GetProperty("damaged").GetString().Should().Contain("failed authentication");
            json.RootElement.GetProperty("prune").GetProperty("bytesFreed").GetInt64().Should().BeGreaterThan(1_000_000, "prune's dry run treats the named snapshots as gone");
        }

        forget.ExitCode.Should().Be(0, forget.ToString());
        forget.Out.Should().Contain("cannot be read");
        forget.Stderr.Should().Contain("removed 2 snapshot(s), 2 of them damaged");
        prune.ExitCode.Should().Be(0, prune.ToString());
        _repo.Files("data").Sum(f => new FileInfo(f).Length).Should().BeLessThan(dataBefore - 1_000_000, "the damaged snapshot's own data is freed");
        clean.ExitCode.Should().Be(0, clean.ToString());
        (await _repo.DumpAsync(kept[..8], "a")).Should().Equal(keptData);
        var forgets = await AuditRecordsAsync("forget");
        forgets.Select(r => r.GetProperty("status").GetString()).Should().Equal("failed", "ok");
        forgets[1].GetProperty("snapshots").EnumerateArray().Select(e => e.GetString()).Should().BeEquivalentTo([damaged, foreign]);
    }

    /// <summary>
    /// Writes a snapshot of another repository (another master key) into this one, as a mistaken
    /// sync of two repositories into one place would: its name matches its bytes, but it cannot be decrypted.
    /// </summary>
    private async Task<string> ForeignSnapshotAsync()
    {
        using var other = new TestRepo();
        await other.InitAsync();
        var id = await other.BackupAsync(TestRepo.RandomBytes(1000, 9), "a");
        File.Copy(other.ObjectPath("snapshots/" + id), _repo.ObjectPath("snapshots/" + id));
        return id;
    }

    private static int JsonExitCode(CliResult result)
    {
        using var json = JsonDocument.Parse(result.Stdout);
        return json.RootElement.GetProperty("exitCode").GetInt32();
    }

    private async Task<List<JsonElement>> AuditRecordsAsync(string operation)
    {
        var audit = await _repo.Cli.RunAsync("audit", "--json");
        audit.ExitCode.Should().Be(0, audit.ToString());
        using var json = JsonDocument.Parse(audit.Stdout);
        return [.. json.RootElement.EnumerateArray().Select(e => e.GetProperty("record").Clone()).Where(r => r.GetProperty("operation").GetString() == operation)];
    }

    [Fact]
    public async Task Prune_refuses_while_another_process_holds_a_lock_and_names_the_holder()
    {
        await _repo.InitAsync();
        using var backup = _repo.Cli.Start("backup", "--stdin", "--name", "slow");
        await backup.StandardInput.BaseStream.WriteAsync(TestRepo.RandomBytes(100_000, 1));
        await backup.StandardInput.BaseStream.FlushAsync();
        for (var i = 0; i < 200 && !_repo.Files("locks").Any(); i++)
        {
            await Task.Delay(50);
        }

        var prune = await _repo.Cli.RunAsync("prune");
        var forget = await _repo.Cli.RunAsync("forget", "--keep-last", "1");
        backup.StandardInput.Close();
        await backup.WaitForExitAsync();

        prune.ExitCode.Should().Be(11, prune.ToString());
        prune.Stderr.Should().Contain("a shared lock for 'backup' held by").And.Contain($"pid {backup.Id}");
        forget.ExitCode.Should().Be(11, forget.ToString());
        backup.ExitCode.Should().Be(0);
        (await _repo.Cli.RunAsync("prune")).ExitCode.Should().Be(0);
    }

    [Fact]
    public async Task Stats_show_the_dedup_of_a_stream_backed_up_twice()
    {
        await _repo.InitAsync();
        var data = TestRepo.DumpLikeBytes(3_000_000, 5);
        await _repo.BackupAsync(data);
        var once = await StatsAsync();
        await _repo.BackupAsync(data);

        var twice = await StatsAsync();

        twice.GetProperty("sizeBeforeDedup").GetInt64().Should().Be(2 * data.Length);
        twice.GetProperty("usedBytes").GetInt64().Should().Be(once.GetProperty("usedBytes").GetInt64());
        twice.GetProperty("ratio").GetDouble().Should().BeApproximately(2 * once.GetProperty("ratio").GetDouble(), 0.01);
        once.GetProperty("ratio").GetDouble().Should().BeGreaterThan(1.5, "dump-like text compresses");
        twice.GetProperty("perSnapshot").EnumerateArray().Select(s => s.GetProperty("uniqueBytes").GetInt64()).Should().Equal(0, 0);
        twice.GetProperty("garbageBytes").GetInt64().Should().Be(0);
        twice.GetProperty("packs").GetInt32().Should().Be(_repo.Files("data").Count());
    }

    private async Task<JsonElement> StatsAsync()
    {
        var result = await _repo.Cli.RunAsync("stats", "--json");
        result.ExitCode.Should().Be(0, result.ToString());
        return JsonDocument.Parse(result.Stdout).RootElement.Clone();
    }

    private static IEnumerable<DateTimeOffset> Newest<TKey>(List<DateTimeOffset> times, Func<DateTimeOffset, TKey> bucket, int count) =>
        times.GroupBy(bucket).Select(g => g.Max()).OrderDescending().Take(count);

    public void Dispose() => _repo.Dispose();
}
