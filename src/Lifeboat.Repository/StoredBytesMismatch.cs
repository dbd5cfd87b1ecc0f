using Lifeboat.Storage;

namespace Lifeboat.Repository;

/// <summary>
/// The one message for a store that returns other bytes than were written to it: an integrity
/// error naming the object and the setting that usually causes it, never a concurrency story.
/// </summary>
internal static class StoredBytesMismatch
{
    /// <summary>The setting that fixes the usual cause (S3-compatible stores that keep aws-chunked framing).</summary>
    public const string LikelySetting = "-o s3.checksum=when_required";

    public static IntegrityException Exception(IStorage storage, string name) =>
        new($"the storage at {storage.Location} returned other bytes for '{name}' than were just written to it: the store alters uploads. " +
            $"On an S3-compatible store this is the SDK's default checksum mode (the store keeps the aws-chunked framing): " +
            $"use {LikelySetting} (docs/storage.md lists the providers that need it)")
        {
            ObjectName = name,
        };
}
