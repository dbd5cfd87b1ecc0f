using Lifeboat.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Lifeboat.Storage.Tests;

public sealed class LocalFileStorageTests : StorageConformanceTests, IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    protected override Task<IStorage> CreateStorageAsync() => Task.FromResult<IStorage>(new LocalFileStorage(_directory.Path));

    protected override async Task<bool> LeaveInterruptedWriteAsync(string name)
    {
        var directory = Path.Combine(_directory.Path, Path.GetDirectoryName(name)!);
        Directory.CreateDirectory(directory);
        await File.WriteAllBytesAsync(Path.Combine(directory, LocalFileStorage.TemporaryFilePrefix + "killed"), RandomBytes(10));
        return true;
    }

    [Fact]
    public void Location_is_the_absolute_directory()
    {
        var storage = new LocalFileStorage(_directory.Path + "/");

        storage.Location.Should().Be(_directory.Path);
        Path.IsPathFullyQualified(storage.Location).Should().BeTrue();
    }

    [Fact]
    public async Task Objects_are_plain_files_under_the_directory()
    {
        await Storage.WriteAsync("data/ab/ab12", new byte[] { 1, 2, 3 }, default);

        File.ReadAllBytes(Path.Combine(_directory.Path, "data", "ab", "ab12")).Should().Equal(1, 2, 3);
    }

    [Fact]
    public async Task No_temporary_files_remain_after_writes()
    {
        await Storage.WriteAsync("data/ab/ab12", RandomBytes(100), default);
        await Storage.WriteAsync("config", RandomBytes(10), default);
        await FluentActions.Awaiting(() => Storage.WriteAsync("config", RandomBytes(10), default)).Should().ThrowAsync<StorageException>();
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();
        await FluentActions.Awaiting(() => Storage.WriteAsync("data/ab/ab13", RandomBytes(10), cancellation.Token))
            .Should().ThrowAsync<OperationCanceledException>();

        Directory.GetFiles(_directory.Path, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(_directory.Path, f))
            .Should().BeEquivalentTo(["config", Path.Combine("data", "ab", "ab12")]);
    }

    [Fact]
    public async Task A_leftover_temporary_file_is_never_listed_and_is_cleaned_up_once_old()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var storage = new LocalFileStorage(_directory.Path, clock);
        await storage.WriteAsync("data/ab/ab12", new byte[] { 1 }, default);
        string stale = Path.Combine(_directory.Path, "data", "ab", LocalFileStorage.TemporaryFilePrefix + "stale");
        string fresh = Path.Combine(_directory.Path, LocalFileStorage.TemporaryFilePrefix + "fresh");
        await File.WriteAllBytesAsync(stale, [1, 2]);
        await File.WriteAllBytesAsync(fresh, [3]);
        File.SetLastWriteTimeUtc(stale, clock.GetUtcNow().UtcDateTime - TimeSpan.FromHours(25));
        File.SetLastWriteTimeUtc(fresh, clock.GetUtcNow().UtcDateTime - TimeSpan.FromMinutes(5));

        (await ListAllAsync("")).Select(o => o.Name).Should().Equal("data/ab/ab12");
        (await ListAllAsync("data/ab/")).Select(o => o.Name).Should().Equal("data/ab/ab12");

        int removed = await storage.CleanupTemporaryFilesAsync(TimeSpan.FromHours(24), default);

        removed.Should().Be(1);
        File.Exists(stale).Should().BeFalse();
        File.Exists(fresh).Should().BeTrue("a temporary file younger than the limit may belong to a write in progress");
        (await storage.ReadAsync("data/ab/ab12", 0, null, default)).Should().Equal(1);
    }

    [Fact]
    public async Task Cleaning_up_a_store_that_does_not_exist_yet_removes_nothing() =>
        (await new LocalFileStorage(Path.Combine(_directory.Path, "missing")).CleanupTemporaryFilesAsync(TimeSpan.Zero, default)).Should().Be(0);

    [Fact]
    public async Task Names_that_look_like_temporary_files_are_rejected() =>
        await FluentActions.Awaiting(() => Storage.WriteAsync("data/.tmp-x", new byte[] { 1 }, default)).Should().ThrowAsync<ArgumentException>();

    [Fact]
    public async Task The_directory_is_created_by_the_first_write()
    {
        string root = Path.Combine(_directory.Path, "not", "yet");
        var storage = new LocalFileStorage(root);
        (await storage.StatAsync("config", default)).Should().BeNull();
        Directory.Exists(root).Should().BeFalse("opening a store must not create it");

        await storage.WriteAsync("config", new byte[] { 1 }, default);

        File.Exists(Path.Combine(root, "config")).Should().BeTrue();
    }

    [Fact]
    public async Task Writing_below_an_existing_object_is_a_permanent_error()
    {
        await Storage.WriteAsync("config", new byte[] { 1 }, default);

        Func<Task> write = () => Storage.WriteAsync("config/nested", new byte[] { 1 }, default);

        (await write.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.Permanent);
        (await Storage.StatAsync("config/nested", default)).Should().BeNull();
        await FluentActions.Awaiting(() => Storage.ReadAsync("config/nested", 0, null, default))
            .Should().ThrowAsync<StorageException>().Where(e => e.Kind == StorageErrorKind.NotFound);
        await Storage.DeleteAsync("config/nested", default);
    }

    [Fact]
    public async Task A_name_that_is_a_directory_is_not_an_object()
    {
        await Storage.WriteAsync("data/ab/ab12", new byte[] { 1 }, default);

        (await Storage.StatAsync("data/ab", default)).Should().BeNull();
        await FluentActions.Awaiting(() => Storage.ReadAsync("data/ab", 0, null, default))
            .Should().ThrowAsync<StorageException>().Where(e => e.Kind == StorageErrorKind.NotFound);
        await FluentActions.Awaiting(() => Storage.WriteAsync("data/ab", new byte[] { 1 }, default))
            .Should().ThrowAsync<StorageException>().Where(e => e.Kind == StorageErrorKind.Permanent);
        await Storage.DeleteAsync("data/ab", default);
        (await Storage.StatAsync("data/ab/ab12", default)).Should().NotBeNull();
    }

    [Fact]
    public async Task Permission_denied_is_a_permanent_error()
    {
        string locked = Path.Combine(_directory.Path, "locks");
        Directory.CreateDirectory(locked);
        if (!LockDirectory(locked))
        {
            return; // neither chmod (as a regular user) nor chattr (as root) is available: covered by the mapping test below
        }

        try
        {
            Func<Task> write = () => Storage.WriteAsync("locks/l1", new byte[] { 1 }, default);

            StorageException error = (await write.Should().ThrowAsync<StorageException>()).Which;
            error.Kind.Should().Be(StorageErrorKind.Permanent);
            error.Message.Should().Contain("permission denied").And.Contain(_directory.Path);
        }
        finally
        {
            UnlockDirectory(locked);
        }
    }

    [Fact]
    public void Unauthorized_access_maps_to_permanent() =>
        LocalFileErrors.Map(new UnauthorizedAccessException("denied"), "/repo", "config", "write")
            .Should().BeOfType<StorageException>().Which.Kind.Should().Be(StorageErrorKind.Permanent);

    [Fact]
    public void Disk_full_maps_to_out_of_space_with_a_clear_message()
    {
        IOException diskFull = OperatingSystem.IsLinux() ? WriteToDevFull() : new IOException("disk full", 28);

        StorageException mapped = LocalFileErrors.Map(diskFull, "/repo", "data/ab/ab12", "write").Should().BeOfType<StorageException>().Which;

        mapped.Kind.Should().Be(StorageErrorKind.OutOfSpace);
        mapped.Message.Should().Contain("no space left").And.Contain("data/ab/ab12").And.Contain("/repo");
    }

    [Theory]
    [InlineData(unchecked((int)0x80131620), "Failed to create '/repo/data/.tmp-1' with allocation size '16777216' because the disk was full.")]
    [InlineData(28, "No space left on device : '/repo/data/.tmp-1'")]
    [InlineData(122, "Disk quota exceeded : '/repo/data/.tmp-1'")]
    public void Every_out_of_space_error_of_the_file_system_maps_to_out_of_space(int hresult, string message)
    {
        var error = new IOException(message, hresult);

        StorageException mapped = LocalFileErrors.Map(error, "/repo", "data/ab/ab12", "write").Should().BeOfType<StorageException>().Which;

        mapped.Kind.Should().Be(StorageErrorKind.OutOfSpace);
        mapped.Message.Should().Contain("no space left to write object 'data/ab/ab12' in /repo").And.Contain("free space on that file system")
            .And.Contain("nothing already saved is lost");
        StorageException.IsOutOfSpace(error).Should().BeTrue();
    }

    [Theory]
    [InlineData("link", 28)]
    [InlineData("fsync", 28)]
    [InlineData("link", 122)]
    [InlineData("fsync", 122)]
    public void A_full_disk_or_quota_in_the_publishing_link_or_the_directory_fsync_maps_to_out_of_space(string call, int errno)
    {
        var error = UnixFileSystem.ErrnoException(call, "directory '/repo/data'", errno);

        LocalFileErrors.Map(error, "/repo", "data/ab/ab12", "write").Should().BeOfType<StorageException>()
            .Which.Kind.Should().Be(OperatingSystem.IsLinux() || errno == 28 ? StorageErrorKind.OutOfSpace : StorageErrorKind.Permanent);
    }

    [Fact]
    public void A_generic_io_error_is_not_mistaken_for_a_full_disk()
    {
        var error = new IOException("Input/output error : '/repo/data/.tmp-1'", unchecked((int)0x80131620));

        LocalFileErrors.Map(error, "/repo", "data/ab/ab12", "write").Should().BeOfType<StorageException>().Which.Kind.Should().Be(StorageErrorKind.Permanent);
        StorageException.IsOutOfSpace(error).Should().BeFalse();
    }

    [TmpfsFact]
    public async Task A_write_whose_preallocation_fails_on_a_full_file_system_is_out_of_space_and_leaves_nothing()
    {
        using var mount = SmallTmpfs.Mount("1m");
        var storage = new LocalFileStorage(mount.Path);

        Func<Task> write = () => storage.WriteAsync("data/big", new byte[4 << 20], CancellationToken.None);

        (await write.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.OutOfSpace);
        Directory.EnumerateFiles(mount.Path, "*", SearchOption.AllDirectories).Should().BeEmpty("the temporary file is removed");
    }

    [Fact]
    public void Missing_files_map_to_not_found()
    {
        LocalFileErrors.Map(new FileNotFoundException(), "/repo", "config", "read")
            .Should().BeOfType<StorageException>().Which.Kind.Should().Be(StorageErrorKind.NotFound);
        LocalFileErrors.Map(new DirectoryNotFoundException(), "/repo", "config", "read")
            .Should().BeOfType<StorageException>().Which.Kind.Should().Be(StorageErrorKind.NotFound);
    }

    private static IOException WriteToDevFull()
    {
        try
        {
            using var stream = new FileStream("/dev/full", FileMode.Open, FileAccess.Write);
            stream.Write(new byte[16]);
            stream.Flush();
        }
        catch (IOException exception)
        {
            return exception;
        }

        throw new InvalidOperationException("writing to /dev/full succeeded");
    }

    private static bool LockDirectory(string path)
    {
        if (!OperatingSystem.IsWindows() && Environment.UserName != "root")
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            return true;
        }

        // root ignores file modes, but not the immutable attribute
        return OperatingSystem.IsLinux() && TemporaryDirectory.TryRun("chattr", "+i", path);
    }

    private static void UnlockDirectory(string path)
    {
        if (!OperatingSystem.IsWindows() && Environment.UserName != "root")
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        else
        {
            TemporaryDirectory.TryRun("chattr", "-i", path);
        }
    }
}
