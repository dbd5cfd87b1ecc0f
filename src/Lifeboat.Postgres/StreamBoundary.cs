namespace Lifeboat.Postgres;

/// <summary>
/// Where a capture stores its named streams (the repository, in production). Called concurrently
/// by several workers.
/// </summary>
public interface IStreamSink
{
    /// <summary>
    /// Stores <paramref name="content"/> under <paramref name="name"/>. Must read
    /// <paramref name="content"/> to its end; returns once the stream is stored.
    /// </summary>
    Task WriteStreamAsync(string name, Stream content, CancellationToken cancellationToken);
}

/// <summary>Where a restore reads the named streams a capture stored.</summary>
public interface IStreamSource
{
    /// <summary>Opens the stream stored under <paramref name="name"/> for reading.</summary>
    Task<Stream> OpenStreamAsync(string name, CancellationToken cancellationToken);
}
