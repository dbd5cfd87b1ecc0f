namespace Lifeboat.Storage;

/// <summary>
/// A flat store of write-once objects named by slash-separated paths such as
/// <c>data/ab/ab12...</c>. This is the whole contract a backend implements; retries, limits,
/// logging and fault injection are wrappers around it, never base classes.
/// </summary>
/// <remarks>
/// Errors are reported as <see cref="StorageException"/> with a <see cref="StorageErrorKind"/>
/// so callers (and the retry wrapper) can tell not-found, already-exists, transient and
/// permanent failures apart without knowing the backend. A name that breaks the rules of
/// <see cref="ObjectNames"/> and a negative offset or length are programming errors, reported as
/// <see cref="ArgumentException"/>. A cancelled token raises
/// <see cref="OperationCanceledException"/>. Backends whose interrupted writes leave debris
/// behind also implement <see cref="ITemporaryFileCleanup"/>. Every backend passes the
/// conformance suite in <c>Lifeboat.Storage.Tests</c> (<c>StorageConformanceTests</c>).
/// </remarks>
public interface IStorage : IAsyncDisposable
{
    /// <summary>Where the objects live, fit for messages: never contains a secret.</summary>
    string Location { get; }

    /// <summary>
    /// Stores <paramref name="content"/> under <paramref name="name"/> atomically: readers see
    /// the whole object or nothing, also after a crash. Fails with
    /// <see cref="StorageErrorKind.AlreadyExists"/> when the name is taken: objects are never
    /// overwritten.
    /// </summary>
    Task WriteAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>
    /// Reads <paramref name="length"/> bytes from <paramref name="offset"/> (the rest of the
    /// object when <paramref name="length"/> is null). Fails with
    /// <see cref="StorageErrorKind.NotFound"/> when there is no such object, and with
    /// <see cref="StorageErrorKind.Permanent"/> when the range lies beyond its end.
    /// </summary>
    Task<byte[]> ReadAsync(string name, long offset, long? length, CancellationToken cancellationToken);

    /// <summary>The object's size, or null when it does not exist.</summary>
    Task<ObjectInfo?> StatAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Every object whose name starts with <paramref name="prefix"/> (e.g. <c>"snapshots/"</c>),
    /// in no particular order. Unfinished (temporary) uploads are never listed.
    /// </summary>
    IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>Removes an object. Removing one that does not exist is not an error.</summary>
    Task DeleteAsync(string name, CancellationToken cancellationToken);
}

/// <summary>An object's name (full path within the store) and size in bytes.</summary>
public sealed record ObjectInfo(string Name, long Size);
