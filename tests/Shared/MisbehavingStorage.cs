using System.Runtime.CompilerServices;

namespace Lifeboat.Storage.Testing;

/// <summary>
/// For tests: an <see cref="InMemoryStorage"/> that misbehaves the way real stores do. It can keep other
/// bytes than were written (as s3rver keeps aws-chunked framing), deny reads (access denied), and
/// ignore the no-overwrite rule (as s3rver ignores <c>If-None-Match: *</c>). Compiled into the test
/// projects that need it (linked, not referenced).
/// </summary>
internal sealed class MisbehavingStorage : IStorage
{
    private readonly InMemoryStorage _inner = new();

    public string Location => _inner.Location;

    /// <summary>Writes of names this accepts are stored with a chunk-framing prefix and suffix.</summary>
    public Func<string, bool> AltersWritesOf { get; set; } = _ => false;

    /// <summary>Reads of names this accepts fail as access denied (permanent).</summary>
    public Func<string, bool> DeniesReadsOf { get; set; } = _ => false;

    /// <summary>When true, writing an existing name replaces it.</summary>
    public bool Overwrites { get; set; }

    public InMemoryStorage Inner => _inner;

    public async Task WriteAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        if (Overwrites)
        {
            await _inner.DeleteAsync(name, cancellationToken);
        }

        ReadOnlyMemory<byte> stored = AltersWritesOf(name)
            ? (byte[])[.. "200;chunk-signature=0\r\n"u8, .. content.Span, .. "\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"u8]
            : content;
        await _inner.WriteAsync(name, stored, cancellationToken);
    }

    public Task<byte[]> ReadAsync(string name, long offset, long? length, CancellationToken cancellationToken) =>
        DeniesReadsOf(name)
            ? throw new StorageException(StorageErrorKind.Permanent, $"access to '{name}' in {Location} denied (AccessDenied, HTTP 403)")
            : _inner.ReadAsync(name, offset, length, cancellationToken);

    public Task<ObjectInfo?> StatAsync(string name, CancellationToken cancellationToken) => _inner.StatAsync(name, cancellationToken);

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var info in _inner.ListAsync(prefix, cancellationToken))
        {
            yield return info;
        }
    }

    public Task DeleteAsync(string name, CancellationToken cancellationToken) => _inner.DeleteAsync(name, cancellationToken);

    public ValueTask DisposeAsync() => _inner.DisposeAsync();
}
