namespace Lifeboat.Storage.Tests;

/// <summary>An in-memory store whose operations take a little real time and record how many ran at once.</summary>
internal sealed class ProbeStorage : IStorage
{
    private readonly InMemoryStorage _inner = new();
    private readonly TimeSpan _latency;
    private int _current;
    private int _maximum;

    public ProbeStorage(TimeSpan latency) => _latency = latency;

    public string Location => _inner.Location;

    public int MaximumConcurrency => Volatile.Read(ref _maximum);

    public Task WriteAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        ProbeAsync(() => _inner.WriteAsync(name, content, cancellationToken), cancellationToken);

    public async Task<byte[]> ReadAsync(string name, long offset, long? length, CancellationToken cancellationToken)
    {
        byte[] result = [];
        await ProbeAsync(async () => result = await _inner.ReadAsync(name, offset, length, cancellationToken), cancellationToken);
        return result;
    }

    public async Task<ObjectInfo?> StatAsync(string name, CancellationToken cancellationToken)
    {
        ObjectInfo? result = null;
        await ProbeAsync(async () => result = await _inner.StatAsync(name, cancellationToken), cancellationToken);
        return result;
    }

    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken) => _inner.ListAsync(prefix, cancellationToken);

    public Task DeleteAsync(string name, CancellationToken cancellationToken) =>
        ProbeAsync(() => _inner.DeleteAsync(name, cancellationToken), cancellationToken);

    public ValueTask DisposeAsync() => _inner.DisposeAsync();

    private async Task ProbeAsync(Func<Task> operation, CancellationToken cancellationToken)
    {
        int now = Interlocked.Increment(ref _current);
        int seen;
        while (now > (seen = Volatile.Read(ref _maximum)) && Interlocked.CompareExchange(ref _maximum, now, seen) != seen)
        {
        }

        try
        {
            await Task.Delay(_latency, cancellationToken);
            await operation();
        }
        finally
        {
            Interlocked.Decrement(ref _current);
        }
    }
}
