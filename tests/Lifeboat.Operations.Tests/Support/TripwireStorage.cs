using Lifeboat.Storage;

namespace Lifeboat.Operations.Tests.Support;

/// <summary>Passes every call through, and calls <see cref="BeforeWrite"/> with each object name first.</summary>
internal sealed class TripwireStorage(IStorage inner) : IStorage
{
    public Action<string>? BeforeWrite { get; set; }

    public string Location => inner.Location;

    public Task WriteAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        BeforeWrite?.Invoke(name);
        return inner.WriteAsync(name, content, cancellationToken);
    }

    public Task<byte[]> ReadAsync(string name, long offset, long? length, CancellationToken cancellationToken) =>
        inner.ReadAsync(name, offset, length, cancellationToken);

    public Task<ObjectInfo?> StatAsync(string name, CancellationToken cancellationToken) => inner.StatAsync(name, cancellationToken);

    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);

    public Task DeleteAsync(string name, CancellationToken cancellationToken) => inner.DeleteAsync(name, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
