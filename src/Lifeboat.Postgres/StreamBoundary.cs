namespace Lifeboat.Postgres;

/// <summary>
/// Where a capture stores its named streams (the repository, in production). Called concurrently
/// by several workers.
/// </summary>
public interface IStreamSink
{
    /// <summary>
    /// Stores <paramref name="content"/> under <paramref name="name"/>. Must read
    /// <paramref name="content"/> to its end; returns once the stream is stored, with the length
    /// and SHA-256 of what it stored (the capture records them in the manifest instead of hashing
    /// every byte a second time).
    /// </summary>
    Task<StoredStream> WriteStreamAsync(string name, Stream content, CancellationToken cancellationToken);
}

/// <summary>What a sink stored: the stream's length and SHA-256 (lower-case hex).</summary>
public sealed record StoredStream(long Length, string Sha256);

/// <summary>Where a restore reads the named streams a capture stored.</summary>
public interface IStreamSource
{
    /// <summary>Opens the stream stored under <paramref name="name"/> for reading.</summary>
    Task<Stream> OpenStreamAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the stream stored under <paramref name="name"/> to <paramref name="destination"/> and
    /// returns whether it was exactly <paramref name="expectedBytes"/> long with SHA-256
    /// <paramref name="expectedSha256"/> (lower-case hex). On false, or an exception, some bytes may
    /// have been written: the caller must discard them. This default reads <see cref="OpenStreamAsync"/>
    /// and hashes; a source that verifies its streams itself can write them without a second hash.
    /// </summary>
    async Task<bool> CopyVerifiedToAsync(string name, long expectedBytes, string expectedSha256, Stream destination, CancellationToken cancellationToken)
    {
        await using var input = await OpenStreamAsync(name, cancellationToken);
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var buffer = new byte[1024 * 1024];
        long total = 0;
        int n;
        while ((n = await input.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, n);
            total += n;
            await destination.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
        }
        return total == expectedBytes && Convert.ToHexStringLower(hash.GetHashAndReset()) == expectedSha256;
    }

    /// <summary>
    /// Cuts the stream stored under <paramref name="name"/> into consecutive parts that each end just
    /// after a <paramref name="delimiter"/> byte (or at the end), one cut near each offset of
    /// <paramref name="cutNear"/> (ascending), so that the parts can be loaded at once on several
    /// connections. Each part verifies what it writes and throws before writing a byte it could not
    /// verify. This default ignores the cuts and gives one part: the whole stream, checked as
    /// <see cref="CopyVerifiedToAsync"/> checks it.
    /// </summary>
    Task<IReadOnlyList<IStreamPart>> SplitVerifiedAsync(string name, long expectedBytes, string expectedSha256, IReadOnlyList<long> cutNear, byte delimiter, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<IStreamPart>>([new WholeStreamPart(this, name, expectedBytes, expectedSha256)]);
}

/// <summary>A part of a stored stream (see <see cref="IStreamSource.SplitVerifiedAsync"/>).</summary>
public interface IStreamPart
{
    /// <summary>The part's length in bytes.</summary>
    long Length { get; }

    /// <summary>Writes the part's bytes to <paramref name="destination"/>; throws when they do not verify (some bytes may have been written: discard them).</summary>
    Task CopyToAsync(Stream destination, CancellationToken cancellationToken);
}

/// <summary>A whole stream as one part, verified by size and SHA-256 (<see cref="IStreamSource.CopyVerifiedToAsync"/>).</summary>
public sealed class WholeStreamPart(IStreamSource source, string name, long bytes, string sha256) : IStreamPart
{
    public long Length => bytes;

    public async Task CopyToAsync(Stream destination, CancellationToken cancellationToken)
    {
        if (!await source.CopyVerifiedToAsync(name, bytes, sha256, destination, cancellationToken))
            throw new BackupIntegrityException($"The stream {name} does not match the manifest (size or SHA-256): the backup is damaged.");
    }
}
