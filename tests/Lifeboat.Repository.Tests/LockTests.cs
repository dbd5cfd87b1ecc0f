using Lifeboat.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Lifeboat.Repository.Tests;

public class LockTests
{
    private readonly InMemoryStorage _storage = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-23T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private async Task<BackupRepository> OpenAsHostAsync(string host)
    {
        if (await _storage.StatAsync(BackupRepository.ConfigName, CancellationToken.None) is null)
        {
            await TestRepository.InitAsync(_storage);
        }

        var context = new RepositoryContext(_time, new Identity(host, "ops", Environment.ProcessId));
        return await BackupRepository.OpenAsync(_storage, TestRepository.Password, context, CancellationToken.None);
    }

    [Fact]
    public async Task An_exclusive_lock_refuses_others_and_names_its_holder()
    {
        var pruner = await OpenAsHostAsync("host-a");
        var backup = await OpenAsHostAsync("host-b");
        await using var held = await Locks.AcquireAsync(pruner, exclusive: true, "prune", CancellationToken.None);

        var act = () => Locks.AcquireAsync(backup, exclusive: false, "backup", CancellationToken.None);

        (await act.Should().ThrowAsync<RepositoryLockedException>()).Which.Message.Should().Contain("prune").And.Contain("ops@host-a");
    }

    [Fact]
    public async Task Shared_locks_coexist_but_keep_exclusive_ones_out()
    {
        var a = await OpenAsHostAsync("host-a");
        var b = await OpenAsHostAsync("host-b");
        await using var first = await Locks.AcquireAsync(a, exclusive: false, "backup", CancellationToken.None);
        await using var second = await Locks.AcquireAsync(b, exclusive: false, "backup", CancellationToken.None);

        var act = () => Locks.AcquireAsync(b, exclusive: true, "prune", CancellationToken.None);

        await act.Should().ThrowAsync<RepositoryLockedException>();
    }

    [Fact]
    public async Task Releasing_a_lock_removes_its_object()
    {
        var repository = await OpenAsHostAsync("host-a");

        await (await Locks.AcquireAsync(repository, exclusive: true, "prune", CancellationToken.None)).DisposeAsync();

        (await Locks.ListAsync(repository, CancellationToken.None)).Should().BeEmpty();
    }

    [Fact]
    public async Task A_lock_not_refreshed_for_thirty_minutes_is_stale_and_unlock_removes_it()
    {
        var other = await OpenAsHostAsync("host-a");
        var me = await OpenAsHostAsync("host-b");
        await Locks.WriteAsync(other, new LockInfo(true, "prune", "host-a", "ops", 4242, _time.GetUtcNow(), _time.GetUtcNow(), _time.GetUtcNow()), CancellationToken.None);
        (await Locks.ListAsync(me, CancellationToken.None)).Single().Stale.Should().BeFalse();

        _time.Advance(Locks.StaleAfter + TimeSpan.FromSeconds(1));

        (await Locks.ListAsync(me, CancellationToken.None)).Single().Stale.Should().BeTrue();
        await using (await Locks.AcquireAsync(me, exclusive: true, "prune", CancellationToken.None))
        {
            // A stale lock does not block.
        }

        (await Locks.RemoveAsync(me, all: false, CancellationToken.None)).Should().Be(1);
        (await Locks.ListAsync(me, CancellationToken.None)).Should().BeEmpty();
    }

    [Fact]
    public async Task A_lock_of_a_process_that_ended_on_this_host_is_stale_at_once()
    {
        var me = await OpenAsHostAsync(Identity.Current.Host);
        var now = _time.GetUtcNow();
        await Locks.WriteAsync(me, new LockInfo(false, "backup", Identity.Current.Host, "ops", int.MaxValue - 7, now, now, now), CancellationToken.None);

        (await Locks.ListAsync(me, CancellationToken.None)).Single().Stale.Should().BeTrue();
    }

    [Fact]
    public async Task Taking_a_lock_removes_the_locks_of_ended_local_processes_and_says_so_once()
    {
        await OpenAsHostAsync(Identity.Current.Host);
        var notices = new List<string>();
        var context = new RepositoryContext(_time, Identity.Current) { Notice = notices.Add };
        var me = await BackupRepository.OpenAsync(_storage, TestRepository.Password, context, CancellationToken.None);
        var now = _time.GetUtcNow();
        for (var i = 0; i < 3; i++)
        {
            await Locks.WriteAsync(me, new LockInfo(false, i < 2 ? "backup" : "restore", Identity.Current.Host, "ops", int.MaxValue - 7 - i, now, now, now), CancellationToken.None);
        }

        // a lock of another host is not this host's to judge: it stays until it is stale by time
        await Locks.WriteAsync(me, new LockInfo(false, "backup", "host-elsewhere", "ops", 4242, now, now, now), CancellationToken.None);

        await using (var held = await Locks.AcquireAsync(me, exclusive: false, "check", CancellationToken.None))
        {
            var left = await Locks.ListAsync(me, CancellationToken.None);
            left.Select(l => l.Info!.Host).Should().BeEquivalentTo([Identity.Current.Host, "host-elsewhere"]);
            left.Should().Contain(l => l.Name == held.Name);
        }

        notices.Should().ContainSingle().Which.Should().Contain("removed 3 locks").And.Contain("2 backup, 1 restore");
        await (await Locks.AcquireAsync(me, exclusive: false, "check", CancellationToken.None)).DisposeAsync();
        notices.Should().ContainSingle("nothing is left to remove the second time");
    }

    [Fact]
    public async Task A_held_lock_is_refreshed_as_a_new_object_so_it_never_goes_stale()
    {
        var holder = await OpenAsHostAsync("host-a");
        var observer = await OpenAsHostAsync("host-b");
        await using var held = await Locks.AcquireAsync(holder, exclusive: true, "prune", CancellationToken.None);
        for (var i = 0; i < 8; i++)
        {
            var before = held.Name;
            _time.Advance(Locks.RefreshInterval);
            await WaitUntilAsync(() => held.Name != before);
            held.Name.Should().NotBe(before, "refresh {0} writes a new lock object", i + 1);
        }

        var locks = await Locks.ListAsync(observer, CancellationToken.None);
        locks.Should().ContainSingle().Which.Stale.Should().BeFalse("40 minutes passed but the lock was refreshed");
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(10);
        }
    }
}

public class LostLockTests
{
    [Fact]
    public async Task A_backup_whose_lock_could_not_be_refreshed_for_too_long_commits_nothing()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-23T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var faults = new FaultInjectingStorage(new InMemoryStorage(), seed: 1);
        await TestRepository.InitAsync(faults);
        var repository = await BackupRepository.OpenAsync(faults, TestRepository.Password, new RepositoryContext(time, new Identity("host-a", "ops", Environment.ProcessId)), CancellationToken.None);
        await using var held = await Locks.AcquireAsync(repository, exclusive: false, "backup", CancellationToken.None);
        var writer = new Backup.BackupWriter(repository, await MasterIndex.LoadAsync(repository, CancellationToken.None), new Backup.BackupWriterOptions { Lock = held });
        await writer.AddStreamAsync("a", new MemoryStream(TestRepository.RandomBytes(100_000, 1)), CancellationToken.None);

        faults.FailAllWith = StorageErrorKind.Transient;
        for (var i = 0; i < 6; i++)
        {
            time.Advance(Locks.RefreshInterval);
            await Task.Delay(50);
        }

        faults.FailAllWith = null;
        var commit = () => writer.CommitAsync(new Backup.SnapshotDescription("stream", "a", [], "test"), CancellationToken.None);
        (await commit.Should().ThrowAsync<RepositoryLockedException>()).Which.Message.Should().Contain("not refreshed");
        (await SnapshotStore.ListIdsAsync(repository, CancellationToken.None)).Should().BeEmpty();
    }
}
