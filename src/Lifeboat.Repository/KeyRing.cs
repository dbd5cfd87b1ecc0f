using System.Text.Json;
using Lifeboat.Repository.Crypto;
using Lifeboat.Repository.Format;
using Lifeboat.Storage;

namespace Lifeboat.Repository;

/// <summary>The repository's key files: several passwords open the same master key.</summary>
public static class KeyRing
{
    public const string Prefix = "keys/";

    public static string ObjectName(BlobId id) => Prefix + id;

    /// <summary>Adds a key file for another password; returns its id.</summary>
    public static Task<BlobId> AddAsync(BackupRepository repository, string newPassword, KdfParameters kdf, string? label, CancellationToken cancellationToken)
    {
        BackupRepository.ValidatePassword(newPassword);
        return BackupRepository.WriteKeyFileAsync(
            repository.Storage, repository.Config, repository.ConfigBytes, repository.Key, newPassword, kdf, repository.Context, label, cancellationToken);
    }

    /// <summary>Every key file with its metadata (damaged ones flagged).</summary>
    public static async Task<List<KeyInfo>> ListAsync(BackupRepository repository, CancellationToken cancellationToken)
    {
        var keys = new List<KeyInfo>();
        await foreach (var info in repository.Storage.ListAsync(Prefix, cancellationToken))
        {
            var damaged = new List<string>();
            var (id, file) = await TryReadAsync(repository.Storage, info.Name, damaged, cancellationToken);
            keys.Add(file is null
                ? new KeyInfo(info.Name[Prefix.Length..], null, null, null, null, false, true)
                : new KeyInfo(id.ToString(), file.Created, file.Host, file.User, file.Label, id == repository.KeyId, false));
        }

        return [.. keys.OrderBy(k => k.Created ?? DateTimeOffset.MaxValue)];
    }

    /// <summary>Removes a key. Refuses the key in use and the last working key.</summary>
    public static async Task RemoveAsync(BackupRepository repository, string idPrefix, CancellationToken cancellationToken)
    {
        var keys = await ListAsync(repository, cancellationToken);
        var matches = keys.Where(k => k.Id.StartsWith(idPrefix, StringComparison.OrdinalIgnoreCase)).ToList();
        if (matches.Count == 0)
        {
            throw new NotFoundException($"no key id starts with '{idPrefix}': see 'lifeboat key list'");
        }

        if (matches.Count > 1)
        {
            throw new InvalidRequestException($"'{idPrefix}' matches {matches.Count} keys: give more digits");
        }

        var key = matches[0];
        if (key.Current)
        {
            throw new InvalidRequestException(
                "that is the key you opened the repository with: open with another password to remove it, or use 'lifeboat key passwd' to change this one");
        }

        if (keys.Count(k => !k.Damaged) <= 1 && !key.Damaged)
        {
            throw new InvalidRequestException("refusing to remove the last key: the repository would be unreadable forever");
        }

        await repository.Storage.DeleteAsync(Prefix + key.Id, cancellationToken);
    }

    /// <summary>Changes the password of the key in use: adds a new key file, then removes the old one.</summary>
    public static async Task<BlobId> ChangePasswordAsync(BackupRepository repository, string newPassword, KdfParameters kdf, CancellationToken cancellationToken)
    {
        var newId = await AddAsync(repository, newPassword, kdf, null, cancellationToken);
        await repository.Storage.DeleteAsync(ObjectName(repository.KeyId), cancellationToken);
        return newId;
    }

    internal static async Task<(BlobId Id, KeyFile? File)> TryReadAsync(IStorage storage, string name, List<string> damaged, CancellationToken cancellationToken)
    {
        if (!BlobId.TryParse(name[Prefix.Length..], out var id))
        {
            damaged.Add(name);
            return (default, null);
        }

        try
        {
            var bytes = await BackupRepository.ReadHashedObjectAsync(storage, name, cancellationToken);
            return (id, KeyFile.Parse(bytes));
        }
        catch (Exception e) when (e is IntegrityException or JsonException)
        {
            damaged.Add(name);
            return (id, null);
        }
    }
}

/// <summary>A key file as listed by <c>key list</c>.</summary>
public sealed record KeyInfo(string Id, DateTimeOffset? Created, string? Host, string? User, string? Label, bool Current, bool Damaged);
