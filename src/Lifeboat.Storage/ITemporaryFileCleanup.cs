namespace Lifeboat.Storage;

/// <summary>
/// Implemented by backends whose interrupted writes leave something behind (a local temp file,
/// an unfinished multipart upload) that <see cref="IStorage.ListAsync"/> never shows. The
/// repository calls it (e.g. from <c>prune</c>) through <c>storage is ITemporaryFileCleanup</c>;
/// the wrappers in this project forward it to the storage they wrap.
/// </summary>
public interface ITemporaryFileCleanup
{
    /// <summary>
    /// Removes temporary files last written more than <paramref name="olderThan"/> ago and
    /// returns how many were removed. Pick an age far above the longest write (e.g. a day) so a
    /// write in progress in another process is never disturbed.
    /// </summary>
    Task<int> CleanupTemporaryFilesAsync(TimeSpan olderThan, CancellationToken cancellationToken);
}
