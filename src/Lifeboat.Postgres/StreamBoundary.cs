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
}
