using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using NSec.Cryptography;

namespace Lifeboat.Repository.Crypto;

/// <summary>
/// A password's copy of the master key: <c>keys/&lt;sha256&gt;</c>. JSON with the Argon2id
/// parameters and salt, and the master key sealed (AES-256-GCM) under the key derived from the
/// password. The sealed payload also binds the repository id and the SHA-256 of the config
/// object, so a key from another repository or an altered config is detected on open.
/// </summary>
internal sealed class KeyFile
{
    private const int SaltSize = 16;
    private const int PayloadSize = MasterKey.KeySize * 2 + 32;

    [JsonPropertyName("version")]
    public int Version { get; init; } = 1;

    [JsonPropertyName("kdf")]
    public required string Kdf { get; init; }

    [JsonPropertyName("memoryKiB")]
    public required int MemoryKiB { get; init; }

    [JsonPropertyName("iterations")]
    public required int Iterations { get; init; }

    [JsonPropertyName("parallelism")]
    public required int Parallelism { get; init; }

    [JsonPropertyName("salt")]
    public required byte[] Salt { get; init; }

    [JsonPropertyName("sealedKey")]
    public required byte[] SealedKey { get; init; }

    [JsonPropertyName("created")]
    public required DateTimeOffset Created { get; init; }

    [JsonPropertyName("host")]
    public required string Host { get; init; }

    [JsonPropertyName("user")]
    public required string User { get; init; }

    [JsonPropertyName("label")]
    public string? Label { get; init; }

    public static KeyFile Create(
        MasterKey masterKey,
        string repositoryId,
        ReadOnlySpan<byte> configHash,
        string password,
        KdfParameters parameters,
        DateTimeOffset created,
        string host,
        string user,
        string? label)
    {
        parameters.Validate();
        var salt = RandomNumberGenerator.GetBytes(SaltSize);
        var wrappingKey = Derive(password, salt, parameters);
        var payload = new byte[PayloadSize];
        masterKey.DataKey.CopyTo(payload, 0);
        masterKey.IdKey.CopyTo(payload, MasterKey.KeySize);
        configHash.CopyTo(payload.AsSpan(MasterKey.KeySize * 2));
        var sealedKey = Sealer.Seal(wrappingKey, payload, AssociatedData(repositoryId));
        CryptographicOperations.ZeroMemory(payload);
        CryptographicOperations.ZeroMemory(wrappingKey);
        return new KeyFile
        {
            Kdf = "argon2id",
            MemoryKiB = parameters.MemoryKiB,
            Iterations = parameters.Iterations,
            Parallelism = parameters.Parallelism,
            Salt = salt,
            SealedKey = sealedKey,
            Created = created,
            Host = host,
            User = user,
            Label = label,
        };
    }

    /// <summary>
    /// The master key and the config hash it was bound to, or null when the password does not
    /// open this key (wrong password, or the file belongs to another repository).
    /// </summary>
    public (MasterKey Key, byte[] ConfigHash)? TryUnlock(string password, string repositoryId)
    {
        var parameters = new KdfParameters(MemoryKiB, Iterations, Parallelism);
        parameters.Validate();
        if (Kdf != "argon2id" || Salt.Length != SaltSize)
        {
            throw new IntegrityException($"key file uses an unknown key derivation '{Kdf}'");
        }

        var wrappingKey = Derive(password, Salt, parameters);
        var payload = Sealer.TryOpen(wrappingKey, SealedKey, AssociatedData(repositoryId));
        CryptographicOperations.ZeroMemory(wrappingKey);
        if (payload is null || payload.Length != PayloadSize)
        {
            return null;
        }

        var key = new MasterKey(payload[..MasterKey.KeySize], payload[MasterKey.KeySize..(MasterKey.KeySize * 2)]);
        var configHash = payload[(MasterKey.KeySize * 2)..];
        CryptographicOperations.ZeroMemory(payload);
        return (key, configHash);
    }

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, FormatJson.Of<KeyFile>());

    public static KeyFile Parse(ReadOnlySpan<byte> bytes) =>
        JsonSerializer.Deserialize(bytes, FormatJson.Of<KeyFile>()) ?? throw new JsonException("empty key file");

    private static byte[] AssociatedData(string repositoryId) => Encoding.ASCII.GetBytes("lifeboat key v1 " + repositoryId);

    internal static byte[] Derive(string password, byte[] salt, KdfParameters parameters)
    {
        var algorithm = PasswordBasedKeyDerivationAlgorithm.Argon2id(new Argon2Parameters
        {
            DegreeOfParallelism = parameters.Parallelism,
            MemorySize = parameters.MemoryKiB,
            NumberOfPasses = parameters.Iterations,
        });
        return algorithm.DeriveBytes(password, salt, MasterKey.KeySize);
    }
}
