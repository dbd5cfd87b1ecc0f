namespace Lifeboat.Storage;

/// <summary>
/// Limits the bytes per second written to (<c>--limit-upload</c>) and read from
/// (<c>--limit-download</c>) the storage it wraps, each with its own token bucket shared by all
/// concurrent calls. A write waits for its bytes before it starts; a read pays for its bytes
/// after it returns, since its size is known only then. Short bursts of up to one second's
/// worth of bytes pass at once. Listing, stat and delete are not limited.
/// Disposing this storage disposes the storage it wraps.
/// </summary>
public sealed class BandwidthLimitingStorage : IStorage, ITemporaryFileCleanup
{
    private readonly IStorage _inner;
    private readonly TokenBucket? _upload;
    private readonly TokenBucket? _download;

    /// <summary>
    /// Wraps <paramref name="inner"/>; a null limit means unlimited. <paramref name="timeProvider"/>
    /// (default: the system clock) times the waits, so tests can use a fake clock.
    /// </summary>
    public BandwidthLimitingStorage(
        IStorage inner, long? uploadBytesPerSecond, long? downloadBytesPerSecond, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        timeProvider ??= TimeProvider.System;
        UploadBytesPerSecond = uploadBytesPerSecond;
        DownloadBytesPerSecond = downloadBytesPerSecond;
        _upload = uploadBytesPerSecond is { } up ? new TokenBucket(up, up, timeProvider) : null;
        _download = downloadBytesPerSecond is { } down ? new TokenBucket(down, down, timeProvider) : null;
    }

    /// <summary>The upload limit in bytes per second, or null for none.</summary>
    public long? UploadBytesPerSecond { get; }

    /// <summary>The download limit in bytes per second, or null for none.</summary>
    public long? DownloadBytesPerSecond { get; }

    /// <inheritdoc />
    public string Location => _inner.Location;

    /// <inheritdoc />
    public async Task WriteAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        if (_upload is not null)
        {
            await _upload.TakeAsync(content.Length, cancellationToken);
        }

        await _inner.WriteAsync(name, content, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<byte[]> ReadAsync(string name, long offset, long? length, CancellationToken cancellationToken)
    {
        byte[] data = await _inner.ReadAsync(name, offset, length, cancellationToken);
        if (_download is not null)
        {
            await _download.TakeAsync(data.Length, cancellationToken);
        }

        return data;
    }

    /// <inheritdoc />
    public Task<ObjectInfo?> StatAsync(string name, CancellationToken cancellationToken) => _inner.StatAsync(name, cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken) => _inner.ListAsync(prefix, cancellationToken);

    /// <inheritdoc />
    public Task DeleteAsync(string name, CancellationToken cancellationToken) => _inner.DeleteAsync(name, cancellationToken);

    /// <summary>Forwards to the wrapped storage when it has temporary files; else 0.</summary>
    public Task<int> CleanupTemporaryFilesAsync(TimeSpan olderThan, CancellationToken cancellationToken) =>
        _inner is ITemporaryFileCleanup cleanup ? cleanup.CleanupTemporaryFilesAsync(olderThan, cancellationToken) : Task.FromResult(0);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _inner.DisposeAsync();
}
