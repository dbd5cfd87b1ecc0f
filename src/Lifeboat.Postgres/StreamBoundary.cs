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
}
