using System.Text;
using System.Text.Json;
using Lifeboat.Repository.Crypto;
using Lifeboat.Repository.Format;

namespace Lifeboat.Repository;

/// <summary>
/// The repository's sealed JSON objects (snapshots, evidence, holds): JSON sealed with the data key
/// under a purpose label, stored under <c>prefix/&lt;SHA-256 of the stored bytes&gt;</c>.
/// </summary>
internal static class SealedJson
{
    public static byte[] Label(string purpose) => Encoding.ASCII.GetBytes(purpose);

    /// <summary>Serialises, seals and writes a value; returns its id.</summary>
    public static Task<BlobId> WriteAsync<T>(BackupRepository repository, string prefix, byte[] aad, T value, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(value, FormatJson.Of<T>());
        return repository.WriteHashedObjectAsync(prefix, Sealer.Seal(repository.Key.DataKey, json, aad), cancellationToken);
    }

    /// <summary>
    /// Reads <paramref name="name"/>, checks it against its name, authenticates and deserialises
    /// it; any damage is an <see cref="IntegrityException"/> naming "<paramref name="kind"/> 'name'".
    /// </summary>
    public static async Task<T> ReadAsync<T>(BackupRepository repository, string name, byte[] aad, string kind, CancellationToken cancellationToken)
    {
        var stored = await repository.ReadHashedObjectAsync(name, cancellationToken);
        var json = Sealer.TryOpen(repository.Key.DataKey, stored, aad)
            ?? throw new IntegrityException($"{kind} '{name}' failed authentication: it was altered or damaged") { ObjectName = name };
        try
        {
            return JsonSerializer.Deserialize(json, FormatJson.Of<T>()) ?? throw new IntegrityException($"{kind} '{name}' is empty") { ObjectName = name };
        }
        catch (JsonException e)
        {
            throw new IntegrityException($"{kind} '{name}' is malformed: {e.Message}", e) { ObjectName = name };
        }
    }
}
