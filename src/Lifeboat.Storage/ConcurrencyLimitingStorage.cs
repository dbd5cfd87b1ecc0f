using System.Runtime.CompilerServices;

namespace Lifeboat.Storage;

/// <summary>
/// Lets at most a given number of operations run at once against the storage it wraps (the
/// <c>--connections</c> option); further calls wait their turn. A listing holds a slot only
/// while it fetches the next object, so a caller may use the storage while it iterates.
/// Disposing this storage disposes the storage it wraps.
/// </summary>
public sealed class ConcurrencyLimitingStorage : IStorage, ITemporaryFileCleanup
{
    private readonly IStorage _inner;
    private readonly SemaphoreSlim _slots;

    /// <summary>Wraps <paramref name="inner"/>, allowing <paramref name="maxConcurrentOperations"/> at once.</summary>
    public ConcurrencyLimitingStorage(IStorage inner, int maxConcurrentOperations)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrentOperations, 1);
        _inner = inner;
        MaxConcurrentOperations = maxConcurrentOperations;
        _slots = new SemaphoreSlim(maxConcurrentOperations, maxConcurrentOperations);
    }

    /// <summary>How many operations may run at once.</summary>
    public int MaxConcurrentOperations { get; }

    /// <inheritdoc />
    public string Location => _inner.Location;

    /// <inheritdoc />
    public async Task WriteAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        try
        {
            await _inner.WriteAsync(name, content, cancellationToken);
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <inheritdoc />
    public async Task<byte[]> ReadAsync(string name, long offset, long? length, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        try
        {
            return await _inner.ReadAsync(name, offset, length, cancellationToken);
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <inheritdoc />
    public async Task<ObjectInfo?> StatAsync(string name, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        try
        {
            return await _inner.StatAsync(name, cancellationToken);
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        IAsyncEnumerator<ObjectInfo> entries = _inner.ListAsync(prefix, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                await _slots.WaitAsync(cancellationToken);
                bool more;
                try
                {
                    more = await entries.MoveNextAsync();
                }
                finally
                {
                    _slots.Release();
                }

                if (!more)
                {
                    yield break;
                }

                yield return entries.Current;
            }
        }
        finally
        {
            await entries.DisposeAsync();
        }
    }

    /// <inheritdoc />
    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        try
        {
            await _inner.DeleteAsync(name, cancellationToken);
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>Forwards to the wrapped storage (taking a slot) when it has temporary files; else 0.</summary>
    public async Task<int> CleanupTemporaryFilesAsync(TimeSpan olderThan, CancellationToken cancellationToken)
    {
        if (_inner is not ITemporaryFileCleanup cleanup)
        {
            return 0;
        }

        await _slots.WaitAsync(cancellationToken);
        try
        {
            return await cleanup.CleanupTemporaryFilesAsync(olderThan, cancellationToken);
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _inner.DisposeAsync();
        _slots.Dispose();
    }
}
