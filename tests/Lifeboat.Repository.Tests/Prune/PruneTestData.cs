using Lifeboat.Repository.Check;
using Lifeboat.Repository.Prune;
using Lifeboat.Storage;

namespace Lifeboat.Repository.Tests.Prune;

/// <summary>A small repository with overlapping snapshots, and ways to verify one.</summary>
internal static class PruneTestData
{
    /// <summary>
    /// <paramref name="count"/> snapshots of a 1.5 MB stream that changes a little each time (a
    /// changed region and an appended tail), so packs end up shared between snapshots.
    /// </summary>
    public static async Task<List<(SnapshotRecord Record, byte[] Data)>> FillAsync(BackupRepository repository, int count, int seed = 1)
    {
        var random = new Random(seed);
        var data = TestRepository.RandomBytes(1_500_000, seed);
        var result = new List<(SnapshotRecord, byte[])>();
        for (var i = 0; i < count; i++)
        {
            var changed = (byte[])data.Clone();
            random.NextBytes(changed.AsSpan(random.Next(0, changed.Length - 200_000), 200_000));
            changed = [.. changed, .. TestRepository.RandomBytes(100_000, seed * 1000 + i)];
            var record = await TestRepository.BackupAsync(repository, "db", changed, DateTimeOffset.UnixEpoch.AddDays(i));
            result.Add((record, changed));
            data = changed[..1_500_000];
        }

        return result;
    }

    public static async Task ForgetAsync(BackupRepository repository, SnapshotRecord record) =>
        await repository.Storage.DeleteAsync(SnapshotStore.Prefix + record.Id, CancellationToken.None);

    /// <summary>check --read-data finds no problem and every given snapshot dumps byte-identical.</summary>
    public static async Task VerifyAsync(BackupRepository repository, IEnumerable<(SnapshotRecord Record, byte[] Data)> remaining, string because = "")
    {
        var report = await new Checker(repository).RunAsync(new CheckOptions { ReadDataPercent = 100 }, CancellationToken.None);
        report.Problems.Should().BeEmpty(because);
        foreach (var (record, data) in remaining)
        {
            (await TestRepository.DumpAsync(repository, record, "db")).Should().Equal(data, because);
        }
    }

    public static Task<PruneReport> PruneAsync(BackupRepository repository, double? maxUnused = 0.05) =>
        new Pruner(repository).RunAsync(new PruneOptions { MaxUnused = maxUnused }, CancellationToken.None);

    public static async Task<InMemoryStorage> CopyAsync(IStorage source)
    {
        var copy = new InMemoryStorage();
        await foreach (var info in source.ListAsync("", CancellationToken.None))
        {
            await copy.WriteAsync(info.Name, await source.ReadAsync(info.Name, 0, null, CancellationToken.None), CancellationToken.None);
        }

        return copy;
    }
}

/// <summary>Storage that "dies" after a number of writes and deletes: every later call fails.</summary>
internal sealed class CrashingStorage(IStorage inner, int mutationsAllowed) : IStorage
{
    private int _mutations;

    public string Location => inner.Location;

    public int Mutations => Volatile.Read(ref _mutations);

    public bool Crashed => Mutations > mutationsAllowed;

    public Task WriteAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        Mutate();
        return inner.WriteAsync(name, content, cancellationToken);
    }

    public Task<byte[]> ReadAsync(string name, long offset, long? length, CancellationToken cancellationToken)
    {
        Alive();
        return inner.ReadAsync(name, offset, length, cancellationToken);
    }

    public Task<ObjectInfo?> StatAsync(string name, CancellationToken cancellationToken)
    {
        Alive();
        return inner.StatAsync(name, cancellationToken);
    }

    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken)
    {
        Alive();
        return inner.ListAsync(prefix, cancellationToken);
    }

    public Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        Mutate();
        return inner.DeleteAsync(name, cancellationToken);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private void Mutate()
    {
        if (Interlocked.Increment(ref _mutations) > mutationsAllowed)
        {
            throw new SimulatedCrashException();
        }
    }

    private void Alive()
    {
        if (Crashed)
        {
            throw new SimulatedCrashException();
        }
    }
}

internal sealed class SimulatedCrashException : Exception;
