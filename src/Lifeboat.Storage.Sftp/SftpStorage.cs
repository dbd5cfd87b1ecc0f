using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Lifeboat.Storage.Sftp;

/// <summary>
/// An <see cref="IStorage"/> in a directory on an SSH server, over SFTP (SSH.NET), with objects as
/// plain files. A write uploads to a temporary name in the target directory and then renames it
/// with SSH_FXP_RENAME, which OpenSSH implements as link() + unlink(): it fails when the target
/// exists, so an object is never replaced, and readers see the whole file or nothing.
/// </summary>
/// <remarks>
/// Temporary files are named <c>.lifeboat-tmp-*</c>; they are never listed, and a crashed write
/// can leave one behind, which <see cref="CleanupTemporaryFilesAsync"/> removes. SSH.NET has no fsync@openssh.com, so durability after a server crash is
/// what the server's file system gives on close.
/// </remarks>
public sealed class SftpStorage : IStorage, ITemporaryFileCleanup
{
    /// <summary>Name prefix of temporary upload files (never a valid object name segment to list).</summary>
    public const string TemporaryFilePrefix = ".lifeboat-tmp-";

    private readonly SftpStorageOptions _options;
    private readonly SftpSessionPool _pool;
    private readonly string _root;
    private readonly ConcurrentDictionary<string, bool> _knownDirectories = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;

    /// <summary>Opens the directory described by <paramref name="options"/>; nothing is sent until the first call.</summary>
    public SftpStorage(SftpStorageOptions options, TimeProvider? timeProvider = null)
    {
        _timeProvider = timeProvider ?? TimeProvider.System;
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Host);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.User);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Path);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxSessions, 1);
        _options = options;
        _root = options.Path.Length > 1 ? options.Path.TrimEnd('/') : options.Path;
        Location = SftpRepositoryUrl.Format(options);
        _pool = new SftpSessionPool(options, Location);
    }

    /// <summary>Opens the repository at an SFTP URL (see <see cref="SftpRepositoryUrl"/>) with keys and known_hosts from the environment.</summary>
    /// <exception cref="FormatException">The URL is not a valid SFTP repository URL.</exception>
    public static SftpStorage Open(string url) => new(SftpRepositoryUrl.Parse(url));

    /// <inheritdoc />
    public string Location { get; }

    /// <inheritdoc />
    public async Task WriteAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var path = RemotePath(name);
        cancellationToken.ThrowIfCancellationRequested();
        var directory = path[..path.LastIndexOf('/')];
        var temporary = $"{(directory.Length == 0 ? "" : directory + "/")}{TemporaryFilePrefix}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}";
        try
        {
            await _pool.RunAsync(
                async client =>
                {
                    await UploadAsync(client, directory, temporary, content, cancellationToken);
                    try
                    {
                        // SSH_FXP_RENAME (not posix-rename@openssh.com): refuses an existing target.
                        await client.RenameFileAsync(temporary, path, cancellationToken);
                    }
                    catch (SftpException ex) when (ex is not SftpPathNotFoundException)
                    {
                        await DeleteQuietlyAsync(client, temporary);
                        var existing = await AttributesAsync(client, path, CancellationToken.None);
                        if (existing is not null)
                        {
                            throw existing.IsRegularFile
                                ? StorageException.AlreadyExists(Location, name)
                                : new StorageException(StorageErrorKind.Permanent, $"cannot write '{name}' in {Location}: a directory of that name exists", ex);
                        }

                        throw;
                    }
                    catch
                    {
                        await DeleteQuietlyAsync(client, temporary);
                        throw;
                    }
                },
                cancellationToken);
        }
        catch (Exception ex) when (Map(ex, name, "write", cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc />
    public async Task<byte[]> ReadAsync(string name, long offset, long? length, CancellationToken cancellationToken)
    {
        ObjectRange.ValidateArguments(offset, length);
        var path = RemotePath(name);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            return await _pool.RunAsync(
                async client =>
                {
                    var attributes = await AttributesAsync(client, path, cancellationToken);
                    if (attributes is null || !attributes.IsRegularFile)
                    {
                        throw StorageException.NotFound(Location, name);
                    }

                    var count = ObjectRange.Resolve(Location, name, attributes.Size, offset, length);
                    var buffer = new byte[count];
                    if (count == 0)
                    {
                        return buffer;
                    }

                    await using var stream = await client.OpenAsync(path, FileMode.Open, FileAccess.Read, cancellationToken);
                    stream.Seek(offset, SeekOrigin.Begin);
                    var read = 0;
                    while (read < count)
                    {
                        var n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken);
                        if (n == 0)
                        {
                            // The file shrank between stat and read: objects are write-once, so it is being removed.
                            throw StorageException.NotFound(Location, name);
                        }

                        read += n;
                    }

                    return buffer;
                },
                cancellationToken);
        }
        catch (Exception ex) when (Map(ex, name, "read", cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc />
    public async Task<ObjectInfo?> StatAsync(string name, CancellationToken cancellationToken)
    {
        var path = RemotePath(name);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            var attributes = await _pool.RunAsync(client => AttributesAsync(client, path, cancellationToken), cancellationToken);
            return attributes is { IsRegularFile: true } ? new ObjectInfo(name, attributes.Size) : null;
        }
        catch (Exception ex) when (Map(ex, name, "stat", cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc />
    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken)
    {
        ObjectNames.ValidatePrefix(prefix);
        return ListValidatedAsync(prefix, cancellationToken);
    }

    /// <inheritdoc />
    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        var path = RemotePath(name);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            await _pool.RunAsync(
                async client =>
                {
                    try
                    {
                        await client.DeleteFileAsync(path, cancellationToken);
                    }
                    catch (SftpPathNotFoundException)
                    {
                        // Removing an object that does not exist is not an error.
                    }
                },
                cancellationToken);
        }
        catch (Exception ex) when (Map(ex, name, "delete", cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc />
    /// <remarks>Ages come from the server's modification times (whole seconds), so pick an age far above any clock skew.</remarks>
    public async Task<int> CleanupTemporaryFilesAsync(TimeSpan olderThan, CancellationToken cancellationToken)
    {
        var cutoff = (_timeProvider.GetUtcNow() - olderThan).UtcDateTime;
        try
        {
            return await _pool.RunAsync(
                async client =>
                {
                    var removed = 0;
                    var pending = new Stack<string>([_root]);
                    while (pending.TryPop(out var directory))
                    {
                        await foreach (var entry in ListOrNothingAsync(client, directory, cancellationToken))
                        {
                            if (entry.IsDirectory && entry.Name is not ("." or ".."))
                            {
                                pending.Push(entry.FullName);
                            }
                            else if (entry.IsRegularFile && entry.Name.StartsWith(TemporaryFilePrefix, StringComparison.Ordinal) && entry.LastWriteTimeUtc < cutoff)
                            {
                                await client.DeleteFileAsync(entry.FullName, cancellationToken);
                                removed++;
                            }
                        }
                    }

                    return removed;
                },
                cancellationToken);
        }
        catch (Exception ex) when (Map(ex, null, "remove temporary files", cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _pool.DisposeAsync();

    private static async IAsyncEnumerable<Renci.SshNet.Sftp.ISftpFile> ListOrNothingAsync(
        SftpClient client, string directory, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        List<Renci.SshNet.Sftp.ISftpFile> entries = [];
        try
        {
            await foreach (var entry in client.ListDirectoryAsync(directory, cancellationToken))
            {
                entries.Add(entry);
            }
        }
        catch (SftpPathNotFoundException)
        {
            // gone meanwhile, or never made: nothing to clean
        }

        foreach (var entry in entries)
        {
            yield return entry;
        }
    }

    private async IAsyncEnumerable<ObjectInfo> ListValidatedAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var slash = prefix.LastIndexOf('/');
        var pending = new Stack<string>();
        pending.Push(slash < 0 ? "" : prefix[..slash]);
        while (pending.TryPop(out var relative))
        {
            // Each directory is read whole on a pooled session and released before yielding, so
            // the caller may use the store while it enumerates.
            List<(string Name, bool IsDirectory, long Size)> entries;
            try
            {
                entries = await _pool.RunAsync(client => ReadDirectoryAsync(client, relative, cancellationToken), cancellationToken);
            }
            catch (Exception ex) when (Map(ex, null, "list", cancellationToken) is { } mapped)
            {
                throw mapped;
            }

            foreach (var (entryName, isDirectory, size) in entries)
            {
                var name = relative.Length == 0 ? entryName : $"{relative}/{entryName}";
                if (isDirectory)
                {
                    if ((name + "/").StartsWith(prefix, StringComparison.Ordinal) || prefix.StartsWith(name + "/", StringComparison.Ordinal))
                    {
                        pending.Push(name);
                    }
                }
                else if (name.StartsWith(prefix, StringComparison.Ordinal))
                {
                    yield return new ObjectInfo(name, size);
                }
            }
        }
    }

    private async Task<List<(string Name, bool IsDirectory, long Size)>> ReadDirectoryAsync(
        SftpClient client, string relative, CancellationToken cancellationToken)
    {
        var entries = new List<(string, bool, long)>();
        var directory = relative.Length == 0 ? _root : $"{_root}/{relative}";
        try
        {
            await foreach (var entry in client.ListDirectoryAsync(directory, cancellationToken))
            {
                if (entry.Name is "." or ".." || entry.Name.StartsWith(TemporaryFilePrefix, StringComparison.Ordinal))
                {
                    continue;
                }

                if (entry.IsDirectory)
                {
                    entries.Add((entry.Name, true, 0));
                }
                else if (entry.IsRegularFile)
                {
                    entries.Add((entry.Name, false, entry.Length));
                }
            }
        }
        catch (SftpPathNotFoundException)
        {
            // A directory that does not exist (yet, or any more) holds no objects.
        }

        return entries;
    }

    private async Task UploadAsync(SftpClient client, string directory, string temporary, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        if (directory.Length > 0 && !_knownDirectories.ContainsKey(directory))
        {
            await CreateDirectoriesAsync(client, directory, cancellationToken);
        }

        try
        {
            await using var stream = await client.OpenAsync(temporary, FileMode.CreateNew, FileAccess.Write, cancellationToken);
            await stream.WriteAsync(content, cancellationToken);
            await stream.FlushAsync(cancellationToken);
        }
        catch (SftpPathNotFoundException)
        {
            // The directory vanished since it was cached (e.g. removed by hand): create it again, once.
            _knownDirectories.TryRemove(directory, out _);
            await CreateDirectoriesAsync(client, directory, cancellationToken);
            await using var stream = await client.OpenAsync(temporary, FileMode.CreateNew, FileAccess.Write, cancellationToken);
            await stream.WriteAsync(content, cancellationToken);
            await stream.FlushAsync(cancellationToken);
        }
    }

    /// <summary><c>mkdir -p</c>: creates each missing directory from the top, tolerating concurrent creators.</summary>
    private async Task CreateDirectoriesAsync(SftpClient client, string directory, CancellationToken cancellationToken)
    {
        var parts = directory.Split('/');
        var current = directory.StartsWith('/') ? "" : null;
        foreach (var part in parts)
        {
            if (part.Length == 0)
            {
                continue;
            }

            current = current is null ? part : $"{current}/{part}";
            if (_knownDirectories.ContainsKey(current))
            {
                continue;
            }

            var attributes = await AttributesAsync(client, current, cancellationToken);
            if (attributes is null)
            {
                try
                {
                    await client.CreateDirectoryAsync(current, cancellationToken);
                }
                catch (SftpException)
                {
                    // Fine when a concurrent writer created it meanwhile.
                    if ((await AttributesAsync(client, current, cancellationToken))?.IsDirectory != true)
                    {
                        throw;
                    }
                }
            }
            else if (!attributes.IsDirectory)
            {
                throw new StorageException(StorageErrorKind.Permanent, $"cannot create directory '{current}' on {Location}: a file of that name exists");
            }

            _knownDirectories[current] = true;
        }
    }

    private static async Task<Renci.SshNet.Sftp.SftpFileAttributes?> AttributesAsync(SftpClient client, string path, CancellationToken cancellationToken)
    {
        try
        {
            return await client.GetAttributesAsync(path, cancellationToken);
        }
        catch (SftpPathNotFoundException)
        {
            return null;
        }
    }

    private static async Task DeleteQuietlyAsync(SftpClient client, string path)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await client.DeleteFileAsync(path, timeout.Token);
        }
        catch (Exception)
        {
            // Best effort: a leftover temporary file is never listed.
        }
    }

    private string RemotePath(string name)
    {
        ObjectNames.Validate(name);
        if (name.Split('/').Any(segment => segment.StartsWith(TemporaryFilePrefix, StringComparison.Ordinal)))
        {
            throw new ArgumentException($"object name '{name}' has a segment starting with '{TemporaryFilePrefix}', which is reserved for temporary files", nameof(name));
        }

        return _root == "/" ? "/" + name : $"{_root}/{name}";
    }

    private StorageException? Map(Exception exception, string? name, string action, CancellationToken cancellationToken) =>
        SftpErrorMapper.Map(exception, Location, name, action, cancellationToken);
}
