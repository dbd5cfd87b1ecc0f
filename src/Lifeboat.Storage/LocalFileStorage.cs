using System.IO.Enumeration;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace Lifeboat.Storage;

/// <summary>
/// An <see cref="IStorage"/> in a directory on a local (or mounted) file system. Object
/// <c>a/b/c</c> is the file <c>&lt;directory&gt;/a/b/c</c>.
/// </summary>
/// <remarks>
/// A write goes to a temporary file <c>.tmp-&lt;random&gt;</c> in the target directory, which
/// is fsynced, then published under its name with a no-overwrite rename (link(2) on Unix, so of
/// two racing writers exactly one wins and the other gets
/// <see cref="StorageErrorKind.AlreadyExists"/>), then the directory is fsynced. A crash leaves
/// at most a temporary file, which is never listed and which
/// <see cref="CleanupTemporaryFilesAsync"/> removes. Directories are created on demand.
/// </remarks>
public sealed partial class LocalFileStorage : IStorage, ITemporaryFileCleanup
{
    /// <summary>How temporary files' names start; no object name has a segment starting so.</summary>
    public const string TemporaryFilePrefix = ".tmp-";

    private const int ENotDir = 20;

    private readonly string _root;
    private readonly TimeProvider _timeProvider;

    /// <summary>
    /// A store in <paramref name="directory"/>, which is created by the first write if missing.
    /// <paramref name="timeProvider"/> (default: the system clock) dates temporary files.
    /// </summary>
    public LocalFileStorage(string directory, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The absolute path of the directory.</summary>
    public string Location => _root;

    /// <inheritdoc />
    public async Task WriteAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        string path = PathOf(name);
        cancellationToken.ThrowIfCancellationRequested();
        if (File.Exists(path))
        {
            throw StorageException.AlreadyExists(Location, name);
        }

        string directory = Path.GetDirectoryName(path)!;
        string temporary = Path.Join(directory, TemporaryFilePrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)));
        try
        {
            CreateDirectory(directory);
            using (SafeFileHandle handle = File.OpenHandle(
                temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.None, preallocationSize: content.Length))
            {
                await RandomAccess.WriteAsync(handle, content, 0, cancellationToken);
                RandomAccess.FlushToDisk(handle);
            }

            cancellationToken.ThrowIfCancellationRequested();
            Publish(temporary, path, name);
            UnixFileSystem.FlushDirectory(directory);
        }
        catch (Exception exception)
        {
            TryDelete(temporary);
            Exception mapped = LocalFileErrors.Map(exception, Location, name, "write");
            if (ReferenceEquals(mapped, exception))
            {
                throw;
            }

            throw mapped;
        }
    }

    /// <inheritdoc />
    public async Task<byte[]> ReadAsync(string name, long offset, long? length, CancellationToken cancellationToken)
    {
        string path = PathOf(name);
        ObjectRange.ValidateArguments(offset, length);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            using SafeFileHandle handle = OpenForRead(path, name);
            int count = ObjectRange.Resolve(Location, name, RandomAccess.GetLength(handle), offset, length);
            byte[] buffer = GC.AllocateUninitializedArray<byte>(count);
            int done = 0;
            while (done < count)
            {
                int read = await RandomAccess.ReadAsync(handle, buffer.AsMemory(done), offset + done, cancellationToken);
                if (read == 0)
                {
                    throw new StorageException(
                        StorageErrorKind.Permanent, $"object '{name}' in {Location} became shorter while it was read: objects must never change");
                }

                done += read;
            }

            return buffer;
        }
        catch (Exception exception) when (exception is not StorageException and not OperationCanceledException)
        {
            throw LocalFileErrors.Map(exception, Location, name, "read");
        }
    }

    /// <inheritdoc />
    public Task<ObjectInfo?> StatAsync(string name, CancellationToken cancellationToken)
    {
        string path = PathOf(name);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            using SafeFileHandle handle = OpenForRead(path, name);
            return Task.FromResult<ObjectInfo?>(new ObjectInfo(name, RandomAccess.GetLength(handle)));
        }
        catch (StorageException exception) when (exception.Kind == StorageErrorKind.NotFound)
        {
            return Task.FromResult<ObjectInfo?>(null);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<ObjectInfo?>(null);
        }
        catch (Exception exception) when (exception is not StorageException)
        {
            throw LocalFileErrors.Map(exception, Location, name, "stat");
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ObjectNames.ValidatePrefix(prefix);
        cancellationToken.ThrowIfCancellationRequested();
        await Task.Yield();

        // Enumerate only the deepest directory the prefix names, then filter by the full prefix.
        int slash = prefix.LastIndexOf('/');
        string directory = slash < 0 ? _root : Path.Join(_root, prefix[..slash].Replace('/', Path.DirectorySeparatorChar));
        if (!Directory.Exists(directory))
        {
            yield break;
        }

        using IEnumerator<ObjectInfo> entries = EnumerateFiles(
            directory, temporary: false, (ref FileSystemEntry entry) => new ObjectInfo(NameOf(ref entry), entry.Length)).GetEnumerator();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ObjectInfo info;
            try
            {
                if (!entries.MoveNext())
                {
                    break;
                }

                info = entries.Current;
            }
            catch (DirectoryNotFoundException)
            {
                break; // the directory went away while it was listed: nothing (more) to list
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                throw LocalFileErrors.Map(exception, Location, prefix + "*", "list");
            }

            if (info.Name.StartsWith(prefix, StringComparison.Ordinal))
            {
                yield return info;
            }
        }
    }

    /// <inheritdoc />
    public Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        string path = PathOf(name);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
            // the object's directory does not exist, so neither does the object
        }
        catch (IOException exception) when (exception.HResult == ENotDir && !OperatingSystem.IsWindows())
        {
            // a parent "directory" is a file, so the object does not exist
        }
        catch (UnauthorizedAccessException) when (Directory.Exists(path))
        {
            // a directory is not an object
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw LocalFileErrors.Map(exception, Location, name, "delete");
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task<int> CleanupTemporaryFilesAsync(TimeSpan olderThan, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await Task.Yield();
        if (!Directory.Exists(_root))
        {
            return 0;
        }

        DateTimeOffset cutoff = _timeProvider.GetUtcNow() - olderThan;
        int removed = 0;
        try
        {
            foreach ((string path, DateTimeOffset written) in EnumerateFiles(
                _root, temporary: true, (ref FileSystemEntry entry) => (entry.ToFullPath(), entry.LastWriteTimeUtc)))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (written < cutoff)
                {
                    File.Delete(path);
                    removed++;
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw LocalFileErrors.Map(exception, Location, TemporaryFilePrefix + "*", "remove temporary file");
        }

        return removed;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <inheritdoc />
    public override string ToString() => Location;

    private string PathOf(string name)
    {
        ObjectNames.Validate(name);
        foreach (string segment in name.Split('/'))
        {
            if (segment.StartsWith(TemporaryFilePrefix, StringComparison.Ordinal))
            {
                throw new ArgumentException($"object name '{name}' has a segment starting with '{TemporaryFilePrefix}', which is reserved for temporary files", nameof(name));
            }
        }

        return Path.Join(_root, OperatingSystem.IsWindows() ? name.Replace('/', '\\') : name);
    }

    private string NameOf(ref FileSystemEntry entry)
    {
        string full = entry.ToFullPath();
        string relative = full[(_root.Length + 1)..];
        return OperatingSystem.IsWindows() ? relative.Replace('\\', '/') : relative;
    }

    private SafeFileHandle OpenForRead(string path, string name)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        }
        catch (UnauthorizedAccessException) when (Directory.Exists(path))
        {
            throw StorageException.NotFound(Location, name);
        }
        catch (IOException exception) when (exception.HResult == ENotDir && !OperatingSystem.IsWindows())
        {
            throw StorageException.NotFound(Location, name);
        }
    }

    private static IEnumerable<T> EnumerateFiles<T>(string directory, bool temporary, FileSystemEnumerable<T>.FindTransform transform)
    {
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = false, // a directory we cannot read must fail a listing, not shorten it
            AttributesToSkip = 0,
            ReturnSpecialDirectories = false,
        };
        return new FileSystemEnumerable<T>(directory, transform, options)
        {
            ShouldIncludePredicate = (ref FileSystemEntry entry) =>
                !entry.IsDirectory && entry.FileName.StartsWith(TemporaryFilePrefix, StringComparison.Ordinal) == temporary,
        };
    }
}
