using System.Text.Json;
using Lifeboat.Repository.Chunking;

namespace Lifeboat.Repository;

/// <summary>
/// The plaintext <c>config</c> object: format version, repository id, chunker sizes, pack size
/// and compression level. No secrets. Its SHA-256 is sealed into every key file, so an altered
/// config is detected when the repository is opened.
/// </summary>
public sealed record RepositoryConfig
{
    /// <summary>
    /// The version <c>init</c> writes. Version 2 is version 1 plus data blobs in the column layout
    /// (pack entry flag 2); a version-1 repository is read and written as version 1.
    /// </summary>
    public const int CurrentVersion = 2;

    /// <summary>The oldest version this lifeboat reads and writes.</summary>
    public const int OldestVersion = 1;

    public int Version { get; init; } = CurrentVersion;

    public required string Id { get; init; }

    public required DateTimeOffset Created { get; init; }

    public required ChunkerParameters Chunker { get; init; }

    /// <summary>A pack is closed once it holds at least this many bytes.</summary>
    public required int PackSize { get; init; }

    /// <summary>zstd level for blobs (0 stores them uncompressed).</summary>
    public required int CompressionLevel { get; init; }

    /// <summary>
    /// Storage settings <c>init</c> found the store needs (e.g. <c>s3.checksum</c> = <c>when_required</c>), as
    /// <c>-o</c> keys and values; every command applies them unless <c>-o</c> names the key. Null (absent) in
    /// repositories made before there were any, and where the store needed none.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Storage { get; init; }

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, FormatJson.Of<RepositoryConfig>());

    public static RepositoryConfig Parse(ReadOnlySpan<byte> bytes, string where)
    {
        RepositoryConfig? config;
        try
        {
            config = JsonSerializer.Deserialize(bytes, FormatJson.Of<RepositoryConfig>());
        }
        catch (JsonException e)
        {
            throw new IntegrityException($"{where} is not a valid repository config: {e.Message}", e);
        }

        if (config is null)
        {
            throw new IntegrityException($"{where} is empty");
        }

        if (config.Version is < OldestVersion or > CurrentVersion)
        {
            throw new InvalidRequestException(
                $"{where} has format version {config.Version}; this lifeboat reads versions {OldestVersion} to {CurrentVersion}: use a lifeboat release that reads version {config.Version}");
        }

        try
        {
            config.Chunker.Validate();
        }
        catch (ArgumentException e)
        {
            throw new IntegrityException($"{where}: {e.Message}", e);
        }

        if (config.PackSize < 1024 * 1024 || config.PackSize > 512 * 1024 * 1024 || config.CompressionLevel is < 0 or > 19)
        {
            throw new IntegrityException($"{where} has an invalid pack size or compression level");
        }

        return config;
    }
}

/// <summary>Choices made at <c>init</c>.</summary>
public sealed record RepositoryInitOptions
{
    public ChunkerParameters Chunker { get; init; } = ChunkerParameters.Default;

    public int PackSize { get; init; } = 16 * 1024 * 1024;

    /// <summary>Level 2: in the column layout as small as level 3, at nearly twice its speed (bench/README.md).</summary>
    public int CompressionLevel { get; init; } = 2;

    public Crypto.KdfParameters Kdf { get; init; } = Crypto.KdfParameters.Default;

    /// <summary>The format version to write (<see cref="RepositoryConfig.OldestVersion"/> keeps the repository readable by older releases).</summary>
    public int FormatVersion { get; init; } = RepositoryConfig.CurrentVersion;

    /// <summary>Storage settings to remember in the config (<see cref="RepositoryConfig.Storage"/>); empty: none.</summary>
    public IReadOnlyDictionary<string, string> StorageSettings { get; init; } = new Dictionary<string, string>();
}

/// <summary>Who does the work, as recorded in key files, locks and snapshots.</summary>
public sealed record Identity(string Host, string User, int ProcessId)
{
    public static Identity Current { get; } = new(Environment.MachineName, Environment.UserName, Environment.ProcessId);

    public override string ToString() => $"{User}@{Host}";
}
