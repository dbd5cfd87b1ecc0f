namespace Lifeboat.Storage;

/// <summary>
/// Implemented by backends whose objects live in a container that must exist first (an S3 bucket,
/// an Azure blob container). <c>init</c> calls it on the backend before anything else, so a new
/// repository does not need a container made by hand.
/// </summary>
public interface IContainerCreation
{
    /// <summary>
    /// Creates the container, with the settings the options name for it, when it does not exist;
    /// returns whether it did. Fails with <see cref="StorageErrorKind.Permanent"/>, naming the missing
    /// permission, when the credentials may not create it.
    /// </summary>
    Task<bool> CreateContainerIfMissingAsync(CancellationToken cancellationToken);
}
