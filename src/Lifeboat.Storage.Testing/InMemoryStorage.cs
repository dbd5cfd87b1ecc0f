using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Lifeboat.Storage.Testing;

/// <summary>
/// A thread-safe <see cref="IStorage"/> held in memory, with the same semantics as the real
/// backends (write-once, range reads, prefix listing). Meant for tests.
/// </summary>
public sealed class InMemoryStorage : IStorage
{
    private static int _instanceCounter;

    private readonly ConcurrentDictionary<string, byte[]> _objects = new(StringComparer.Ordinal);

    /// <summary>Creates an empty store; <paramref name="location"/> names it in messages.</summary>
    public InMemoryStorage(string? location = null)
    {
        Location = location ?? $"memory:{Interlocked.Increment(ref _instanceCounter)}";
    }

    /// <inheritdoc />
    public string Location { get; }

    /// <summary>How many objects the store holds.</summary>
    public int Count => _objects.Count;

    /// <inheritdoc />
    public Task WriteAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        ObjectNames.Validate(name);
        cancellationToken.ThrowIfCancellationRequested();
        if (!_objects.TryAdd(name, content.ToArray()))
        {
            throw StorageException.AlreadyExists(Location, name);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<byte[]> ReadAsync(string name, long offset, long? length, CancellationToken cancellationToken)
    {
        ObjectNames.Validate(name);
        ObjectRange.ValidateArguments(offset, length);
        cancellationToken.ThrowIfCancellationRequested();
        if (!_objects.TryGetValue(name, out byte[]? data))
        {
            throw StorageException.NotFound(Location, name);
        }

        int count = ObjectRange.Resolve(Location, name, data.Length, offset, length);
        return Task.FromResult(data.AsSpan((int)offset, count).ToArray());
    }

    /// <inheritdoc />
    public Task<ObjectInfo?> StatAsync(string name, CancellationToken cancellationToken)
    {
        ObjectNames.Validate(name);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_objects.TryGetValue(name, out byte[]? data) ? new ObjectInfo(name, data.Length) : null);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ObjectNames.ValidatePrefix(prefix);
        cancellationToken.ThrowIfCancellationRequested();
        await Task.Yield();
        foreach (KeyValuePair<string, byte[]> entry in _objects.ToArray())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (entry.Key.StartsWith(prefix, StringComparison.Ordinal))
            {
                yield return new ObjectInfo(entry.Key, entry.Value.Length);
            }
        }
    }

    /// <inheritdoc />
    public Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        ObjectNames.Validate(name);
        cancellationToken.ThrowIfCancellationRequested();
        _objects.TryRemove(name, out _);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
