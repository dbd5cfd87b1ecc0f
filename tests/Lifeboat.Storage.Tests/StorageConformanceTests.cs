using System.Security.Cryptography;
using System.Text;

namespace Lifeboat.Storage.Tests;

/// <summary>
/// The behaviour every <see cref="IStorage"/> backend must show. A backend's test class derives
/// from this one and implements <see cref="CreateStorageAsync"/>; xunit creates one instance per
/// test, so each test gets a fresh, empty store.
/// </summary>
public abstract partial class StorageConformanceTests : IAsyncLifetime
{
    private IStorage? _storage;

    /// <summary>The store under test (fresh and empty for each test).</summary>
    protected IStorage Storage => _storage ?? throw new InvalidOperationException("the store is created in InitializeAsync");

    /// <summary>The size of the "large object" round trip; override to shrink it for slow backends.</summary>
    protected virtual int LargeObjectSize => 20 * 1024 * 1024;

    /// <summary>How many objects the listing test writes: more than one page (1,000) of cloud listings.</summary>
    protected virtual int ManyObjectsCount => 1_100;

    /// <summary>How many writes the many-objects test runs at once.</summary>
    protected virtual int WriteParallelism => 16;

    /// <summary>Creates a fresh, empty store for one test.</summary>
    protected abstract Task<IStorage> CreateStorageAsync();

    /// <summary>
    /// Leaves behind what a write of <paramref name="name"/> killed halfway leaves on this backend (a
    /// temporary file, an unfinished multipart upload) and returns true; false (the default) for a
    /// backend whose interrupted writes leave nothing.
    /// </summary>
    protected virtual Task<bool> LeaveInterruptedWriteAsync(string name) => Task.FromResult(false);

    /// <summary>Called after each test: disposes the store; override to also remove what it created.</summary>
    protected virtual async Task CleanupStorageAsync(IStorage storage) => await storage.DisposeAsync();

    /// <inheritdoc />
    public async Task InitializeAsync() => _storage = await CreateStorageAsync();

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_storage is not null)
        {
            await CleanupStorageAsync(_storage);
        }
    }

    [Fact]
    public async Task Temporary_file_cleanup_removes_what_an_interrupted_write_left_once_old_enough_and_never_an_object()
    {
        var kept = RandomBytes(100);
        await Storage.WriteAsync("data/ab/kept", kept, default);
        var left = await LeaveInterruptedWriteAsync("data/ab/interrupted");
        if (Storage is not ITemporaryFileCleanup cleanup)
        {
            left.Should().BeFalse("a backend whose interrupted writes leave debris implements ITemporaryFileCleanup");
            return;
        }

        var young = await cleanup.CleanupTemporaryFilesAsync(TimeSpan.FromDays(1), default);
        await Task.Delay(TimeSpan.FromMilliseconds(50));
        var old = await cleanup.CleanupTemporaryFilesAsync(TimeSpan.Zero, default);
        var again = await cleanup.CleanupTemporaryFilesAsync(TimeSpan.Zero, default);

        young.Should().Be(0, "debris younger than the age may be a write in progress elsewhere");
        old.Should().Be(left ? 1 : 0);
        again.Should().Be(0);
        (await ListAllAsync("")).Select(o => o.Name).Should().Equal("data/ab/kept");
        (await Storage.ReadAsync("data/ab/kept", 0, null, default)).Should().Equal(kept);
        await Storage.WriteAsync("data/ab/interrupted", kept, default);
        (await Storage.ReadAsync("data/ab/interrupted", 0, null, default)).Should().Equal(kept);
    }

    [Fact]
    public async Task The_storage_probe_finds_the_store_intact_and_refusing_overwrites_and_leaves_nothing()
    {
        var result = await StorageProbe.RunAsync(Storage, default);

        result.Should().Be(new StorageProbeResult(ReadsBackIntact: true, RefusesOverwrite: true));
        (await ListAllAsync("")).Should().BeEmpty();
    }

    [Fact]
    public void Location_is_not_empty() => Storage.Location.Should().NotBeNullOrWhiteSpace();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4097)]
    public async Task Written_objects_read_back_identically(int size)
    {
        byte[] content = RandomBytes(size);
        await Storage.WriteAsync("data/ab/object", content, default);

        (await Storage.ReadAsync("data/ab/object", 0, null, default)).Should().Equal(content);
        (await Storage.StatAsync("data/ab/object", default)).Should().Be(new ObjectInfo("data/ab/object", size));
    }

    [Fact]
    public async Task A_large_object_reads_back_identically()
    {
        byte[] content = RandomBytes(LargeObjectSize);
        await Storage.WriteAsync("data/cd/large", content, default);

        byte[] read = await Storage.ReadAsync("data/cd/large", 0, null, default);
        read.AsSpan().SequenceEqual(content).Should().BeTrue("the whole large object must read back unchanged");
        (await Storage.StatAsync("data/cd/large", default))!.Size.Should().Be(LargeObjectSize);
    }

    [Fact]
    public async Task Changing_the_source_buffer_after_a_write_does_not_change_the_object()
    {
        byte[] content = [1, 2, 3];
        await Storage.WriteAsync("config", content, default);
        content[0] = 9;

        (await Storage.ReadAsync("config", 0, null, default)).Should().Equal(1, 2, 3);
    }

    [Fact]
    public async Task A_range_read_returns_exactly_the_requested_bytes()
    {
        byte[] content = RandomBytes(1000);
        await Storage.WriteAsync("data/ef/pack", content, default);

        (await Storage.ReadAsync("data/ef/pack", 100, 50, default)).Should().Equal(content[100..150]);
        (await Storage.ReadAsync("data/ef/pack", 0, 1, default)).Should().Equal(content[..1]);
        (await Storage.ReadAsync("data/ef/pack", 990, 10, default)).Should().Equal(content[990..]);
        (await Storage.ReadAsync("data/ef/pack", 0, 1000, default)).Should().Equal(content);
    }

    [Fact]
    public async Task A_range_read_without_a_length_reads_to_the_end()
    {
        byte[] content = RandomBytes(1000);
        await Storage.WriteAsync("data/ef/pack", content, default);

        (await Storage.ReadAsync("data/ef/pack", 600, null, default)).Should().Equal(content[600..]);
        (await Storage.ReadAsync("data/ef/pack", 1000, null, default)).Should().BeEmpty();
    }

    [Fact]
    public async Task An_empty_range_at_the_end_is_empty()
    {
        await Storage.WriteAsync("data/ef/pack", RandomBytes(10), default);

        (await Storage.ReadAsync("data/ef/pack", 10, 0, default)).Should().BeEmpty();
        (await Storage.ReadAsync("data/ef/pack", 3, 0, default)).Should().BeEmpty();
    }

    [Theory]
    [InlineData(990, 11L)]
    [InlineData(1001, null)]
    [InlineData(1001, 0L)]
    [InlineData(5000, 10L)]
    public async Task A_range_beyond_the_end_is_a_permanent_error(long offset, long? length)
    {
        await Storage.WriteAsync("data/ef/pack", RandomBytes(1000), default);

        Func<Task> read = () => Storage.ReadAsync("data/ef/pack", offset, length, default);

        (await read.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.Permanent);
    }

    [Fact]
    public async Task Reading_a_missing_object_is_not_found()
    {
        await Storage.WriteAsync("snapshots/other", new byte[] { 1 }, default);

        Func<Task> read = () => Storage.ReadAsync("snapshots/missing", 0, null, default);
        Func<Task> rangeRead = () => Storage.ReadAsync("snapshots/missing", 10, 5, default);
        Func<Task> inMissingDirectory = () => Storage.ReadAsync("nowhere/at/all", 0, null, default);

        (await read.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.NotFound);
        (await rangeRead.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.NotFound);
        (await inMissingDirectory.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.NotFound);
    }

    [Fact]
    public async Task Stat_of_a_missing_object_is_null()
    {
        await Storage.WriteAsync("data/ab/present", new byte[] { 1 }, default);

        (await Storage.StatAsync("data/ab/missing", default)).Should().BeNull();
        (await Storage.StatAsync("nowhere/at/all", default)).Should().BeNull();
        (await Storage.StatAsync("data/ab", default)).Should().BeNull("a name's prefix is not an object");
    }

    [Fact]
    public async Task Writing_an_existing_name_is_refused()
    {
        await Storage.WriteAsync("keys/k1", Encoding.UTF8.GetBytes("first"), default);

        Func<Task> sameContent = () => Storage.WriteAsync("keys/k1", Encoding.UTF8.GetBytes("first"), default);
        Func<Task> otherContent = () => Storage.WriteAsync("keys/k1", Encoding.UTF8.GetBytes("second, longer"), default);

        (await sameContent.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.AlreadyExists);
        (await otherContent.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.AlreadyExists);
        (await Storage.ReadAsync("keys/k1", 0, null, default)).Should().Equal(Encoding.UTF8.GetBytes("first"));
    }

    [Fact]
    public async Task Of_concurrent_writers_of_one_name_exactly_one_wins()
    {
        const int writers = 8;
        for (int round = 0; round < 5; round++)
        {
            string name = $"locks/race-{round}";
            byte[][] contents = Enumerable.Range(0, writers).Select(i => RandomBytes(1024 + i)).ToArray();
            using var start = new ManualResetEventSlim();
            Task<bool>[] tasks = contents.Select(content => Task.Run(async () =>
            {
                start.Wait();
                try
                {
                    await Storage.WriteAsync(name, content, default);
                    return true;
                }
                catch (StorageException exception) when (exception.Kind == StorageErrorKind.AlreadyExists)
                {
                    return false;
                }
            })).ToArray();
            start.Set();
            bool[] won = await Task.WhenAll(tasks);

            won.Count(w => w).Should().Be(1, "exactly one writer of '{0}' must win", name);
            byte[] winner = contents[Array.IndexOf(won, true)];
            (await Storage.ReadAsync(name, 0, null, default)).Should().Equal(winner);
        }

        (await ListAllAsync("locks/")).Select(o => o.Name).Should().HaveCount(5);
    }

    /// <summary>Collects a listing into a list.</summary>
    protected async Task<List<ObjectInfo>> ListAllAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var result = new List<ObjectInfo>();
        await foreach (ObjectInfo info in Storage.ListAsync(prefix, cancellationToken))
        {
            result.Add(info);
        }

        return result;
    }

    /// <summary>Random bytes (incompressible, so no backend can cheat).</summary>
    protected static byte[] RandomBytes(int size) => RandomNumberGenerator.GetBytes(size);
}
