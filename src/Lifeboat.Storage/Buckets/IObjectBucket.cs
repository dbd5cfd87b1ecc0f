namespace Lifeboat.Storage.Buckets;

/// <summary>One object of a bucket listing: its key (relative to the bucket location's prefix), size, ETag and time.</summary>
public sealed record BucketObject(string Key, long Size, string ETag, DateTimeOffset? LastModified);

/// <summary>What a HEAD or GET says about an object: its listing facts, content type and user metadata.</summary>
public sealed record BucketObjectHead(string Key, long Size, string ETag, string? ContentType, IReadOnlyDictionary<string, string> Metadata);

/// <summary>The body of a GET, with its head; dispose it to release the connection.</summary>
public sealed class BucketObjectBody(BucketObjectHead head, Stream content, IDisposable? response) : IAsyncDisposable
{
    public BucketObjectHead Head { get; } = head;

    /// <summary>The object's bytes, streamed (read once).</summary>
    public Stream Content { get; } = content;

    public async ValueTask DisposeAsync()
    {
        await Content.DisposeAsync();
        response?.Dispose();
    }
}

/// <summary>What to write with <see cref="IObjectBucket.PutAsync"/>.</summary>
/// <param name="Key">The key, relative to the bucket location's prefix.</param>
/// <param name="Size">The number of bytes <c>Content</c> gives.</param>
/// <param name="OnlyIfAbsent">Send <c>If-None-Match: *</c>: refuse (with <see cref="BucketObjectExistsException"/>) when the key exists.</param>
public sealed record BucketPut(string Key, long Size, string? ContentType, IReadOnlyDictionary<string, string> Metadata, bool OnlyIfAbsent);

/// <summary>
/// An object bucket as a backup source and a restore target (not a repository: keys and contents are the user's).
/// Keys are relative to the location's prefix. Failures of the service are <see cref="StorageException"/>s; a
/// bucket that cannot be listed is a <see cref="BucketUnlistableException"/>.
/// </summary>
public interface IObjectBucket
{
    /// <summary>The bucket's location, fit for messages (never a credential).</summary>
    string Location { get; }

    /// <summary>The objects whose keys start with <paramref name="prefix"/>, in key order (folder markers ending in <c>/</c> included).</summary>
    IAsyncEnumerable<BucketObject> ListAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>
    /// The object's body, or null when it does not exist (any more). With <paramref name="ifMatch"/>: only that version;
    /// a changed object throws <see cref="BucketObjectChangedException"/>.
    /// </summary>
    Task<BucketObjectBody?> GetAsync(string key, string? ifMatch, CancellationToken cancellationToken);

    /// <summary>The object's head, or null when it does not exist.</summary>
    Task<BucketObjectHead?> HeadAsync(string key, CancellationToken cancellationToken);

    /// <summary>Writes an object from a stream of <see cref="BucketPut.Size"/> bytes, with its content type and metadata.</summary>
    Task PutAsync(BucketPut put, Stream content, CancellationToken cancellationToken);
}

/// <summary>The object changed since it was listed (a GET with <c>If-Match</c> was answered 412).</summary>
public sealed class BucketObjectChangedException(string key, Exception? inner = null)
    : Exception($"object '{key}' changed since it was listed", inner)
{
    public string Key { get; } = key;
}

/// <summary>A PUT with <c>If-None-Match: *</c> found the key taken.</summary>
public sealed class BucketObjectExistsException(string key, Exception? inner = null)
    : Exception($"object '{key}' exists already", inner)
{
    public string Key { get; } = key;
}

/// <summary>Why a bucket cannot be listed.</summary>
public enum BucketUnlistableReason
{
    /// <summary>There is no such bucket.</summary>
    Missing,

    /// <summary>The credentials may not list it (or are wrong).</summary>
    Denied,
}

/// <summary>The bucket cannot be listed: it does not exist, or the credentials may not list it (the message says which).</summary>
public sealed class BucketUnlistableException(BucketUnlistableReason reason, string message, Exception? inner = null) : Exception(message, inner)
{
    public BucketUnlistableReason Reason { get; } = reason;
}
