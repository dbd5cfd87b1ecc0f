using System.Security.Cryptography;
using System.Text;
using Lifeboat.Repository.Chunking;
using Lifeboat.Repository.Crypto;
using Lifeboat.Repository.Format;
using Lifeboat.Storage;

namespace Lifeboat.Repository;

/// <summary>
/// An opened repository: its storage, config and master key. Everything else (index,
/// snapshots, locks, backup, restore, check) works through this. The repository alone is
/// always enough; nothing is cached locally. The repository owns its storage from the moment
/// <see cref="InitAsync"/> or <see cref="OpenAsync(IStorage, byte[], string, RepositoryContext, CancellationToken)"/>
/// returns it (when they throw, the storage stays the caller's): disposing the repository disposes the storage.
/// </summary>
public sealed class BackupRepository : IAsyncDisposable
{
    public const string ConfigName = "config";

    private readonly byte[] _configBytes;
    private int _disposed;

    private BackupRepository(IStorage storage, RepositoryConfig config, byte[] configBytes, MasterKey key, BlobId keyId, RepositoryContext context)
    {
        _configBytes = configBytes;
        Storage = storage;
        Config = config;
        Key = key;
        KeyId = keyId;
        Context = context;
        Codec = new BlobCodec(key, config.CompressionLevel, columns: config.Version >= 2);
        Chunker = new Chunker(config.Chunker, key.DeriveIdSubKey("lifeboat chunker gear v1"));
    }

    public IStorage Storage { get; }

    /// <summary>Where the repository is (its storage's location), for messages and audit records; never holds a secret.</summary>
    public string Location => Storage.Location;

    public RepositoryConfig Config { get; }

    public MasterKey Key { get; }

    /// <summary>The key file the password opened.</summary>
    public BlobId KeyId { get; }

    public RepositoryContext Context { get; }

    internal BlobCodec Codec { get; }

    internal Chunker Chunker { get; }

    /// <summary>Creates a new repository: config and a first key. Refuses a non-empty location.</summary>
    public static async Task<BackupRepository> InitAsync(
        IStorage storage, string password, RepositoryInitOptions options, RepositoryContext context, CancellationToken cancellationToken)
    {
        ValidatePassword(password);
        options.Chunker.Validate();
        options.Kdf.Validate();
        if (options.FormatVersion is < RepositoryConfig.OldestVersion or > RepositoryConfig.CurrentVersion)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"format version {options.FormatVersion} is not one this lifeboat writes");
        }

        if (await storage.StatAsync(ConfigName, cancellationToken) is not null)
        {
            throw new RepositoryExistsException($"there is a repository at {storage.Location} already");
        }

        await foreach (var existing in storage.ListAsync("", cancellationToken))
        {
            if (StorageProbe.IsProbeObject(existing.Name))
            {
                // left by a probe that crashed: not a repository object
                await storage.DeleteAsync(existing.Name, cancellationToken);
                continue;
            }

            throw new RepositoryExistsException(
                $"{storage.Location} is not empty (it holds '{existing.Name}'): choose an empty location for a new repository");
        }

        var config = new RepositoryConfig
        {
            Version = options.FormatVersion,
            Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            Created = context.Time.GetUtcNow(),
            Chunker = options.Chunker,
            PackSize = options.PackSize,
            CompressionLevel = options.CompressionLevel,
            Storage = options.StorageSettings.Count > 0 ? new SortedDictionary<string, string>(options.StorageSettings.ToDictionary(), StringComparer.Ordinal) : null,
        };
        var configBytes = config.ToBytes();
        var key = MasterKey.CreateRandom();
        var keyId = await WriteKeyFileAsync(storage, config, configBytes, key, password, options.Kdf, context, null, cancellationToken);
        var keyName = KeyRing.ObjectName(keyId);
        try
        {
            await ReadBackAsync(storage, keyName, null, cancellationToken);
            await storage.WriteAsync(ConfigName, configBytes, cancellationToken);
        }
        catch (StorageException e) when (e.Kind == StorageErrorKind.AlreadyExists)
        {
            await storage.DeleteAsync(keyName, CancellationToken.None);
            throw new RepositoryExistsException($"another process created a repository at {storage.Location} at the same time");
        }
        catch (IntegrityException)
        {
            await storage.DeleteAsync(keyName, CancellationToken.None);
            throw;
        }

        try
        {
            await ReadBackAsync(storage, ConfigName, configBytes, cancellationToken);
        }
        catch (IntegrityException)
        {
            await storage.DeleteAsync(ConfigName, CancellationToken.None);
            await storage.DeleteAsync(keyName, CancellationToken.None);
            throw;
        }

        return new BackupRepository(storage, config, configBytes, key, keyId, context);
    }

    /// <summary>
    /// Reads <paramref name="name"/> back after writing it and throws <see cref="StoredBytesMismatch"/>'s
    /// integrity error when it differs from <paramref name="written"/> (null: the SHA-256 in its name).
    /// </summary>
    private static async Task ReadBackAsync(IStorage storage, string name, byte[]? written, CancellationToken cancellationToken)
    {
        var back = await storage.ReadAsync(name, 0, null, cancellationToken);
        var intact = written is null
            ? BlobId.HashOf(back).ToString() == name[(name.LastIndexOf('/') + 1)..]
            : back.AsSpan().SequenceEqual(written);
        if (!intact)
        {
            throw StoredBytesMismatch.Exception(storage, name);
        }
    }

    /// <summary>Opens a repository with a password; tries every key file.</summary>
    public static async Task<BackupRepository> OpenAsync(IStorage storage, string password, RepositoryContext context, CancellationToken cancellationToken)
    {
        var (_, configBytes) = await ReadConfigAsync(storage, cancellationToken);
        return await OpenAsync(storage, configBytes, password, context, cancellationToken);
    }

    /// <summary>
    /// The plaintext config (no password needed), e.g. to apply its <see cref="RepositoryConfig.Storage"/>
    /// settings before opening; the bytes go on to <see cref="OpenAsync(IStorage, byte[], string, RepositoryContext, CancellationToken)"/>.
    /// </summary>
    public static async Task<(RepositoryConfig Config, byte[] Bytes)> ReadConfigAsync(IStorage storage, CancellationToken cancellationToken)
    {
        byte[] configBytes;
        try
        {
            configBytes = await storage.ReadAsync(ConfigName, 0, null, cancellationToken);
        }
        catch (StorageException e) when (e.Kind == StorageErrorKind.NotFound)
        {
            throw new RepositoryNotFoundException(
                $"there is no repository at {storage.Location}: check --repo (or LIFEBOAT_REPO), or create one with 'lifeboat init'");
        }

        return (RepositoryConfig.Parse(configBytes, $"the config of {storage.Location}"), configBytes);
    }

    /// <summary>Opens a repository whose config bytes were read already (<see cref="ReadConfigAsync"/>) from the same location.</summary>
    public static async Task<BackupRepository> OpenAsync(IStorage storage, byte[] configBytes, string password, RepositoryContext context, CancellationToken cancellationToken)
    {
        var config = RepositoryConfig.Parse(configBytes, $"the config of {storage.Location}");
        var configHash = SHA256.HashData(configBytes);
        var damaged = new List<string>();
        var tried = 0;
        await foreach (var info in storage.ListAsync(KeyRing.Prefix, cancellationToken))
        {
            var (keyId, keyFile) = await KeyRing.TryReadAsync(storage, info.Name, damaged, cancellationToken);
            if (keyFile is null)
            {
                continue;
            }

            tried++;
            var unlocked = keyFile.TryUnlock(password, config.Id);
            if (unlocked is null)
            {
                continue;
            }

            if (!CryptographicOperations.FixedTimeEquals(unlocked.Value.ConfigHash, configHash))
            {
                throw new IntegrityException(
                    $"the config of {storage.Location} was altered after the repository was created (its hash does not match the one sealed in the key)");
            }

            return new BackupRepository(storage, config, configBytes, unlocked.Value.Key, keyId, context);
        }

        if (tried == 0 && damaged.Count > 0)
        {
            throw new IntegrityException($"every key file is damaged ({string.Join(", ", damaged)}): the repository cannot be opened");
        }

        if (tried == 0)
        {
            throw new IntegrityException($"the repository at {storage.Location} has no key files: it cannot be opened");
        }

        var note = damaged.Count > 0 ? $" ({damaged.Count} damaged key file(s) skipped: {string.Join(", ", damaged)})" : "";
        throw new WrongPasswordException($"wrong password: no key of the repository at {storage.Location} opens with it{note}");
    }

    internal static async Task<BlobId> WriteKeyFileAsync(
        IStorage storage,
        RepositoryConfig config,
        byte[] configBytes,
        MasterKey key,
        string password,
        KdfParameters kdf,
        RepositoryContext context,
        string? label,
        CancellationToken cancellationToken)
    {
        var file = KeyFile.Create(
            key, config.Id, SHA256.HashData(configBytes), password, kdf, context.Time.GetUtcNow(), context.Identity.Host, context.Identity.User, label);
        var bytes = file.ToBytes();
        var id = BlobId.HashOf(bytes);
        await storage.WriteAsync(KeyRing.ObjectName(id), bytes, cancellationToken);
        return id;
    }

    /// <summary>Reads an object whose name ends in the SHA-256 of its bytes, and checks that.</summary>
    public async Task<byte[]> ReadHashedObjectAsync(string name, CancellationToken cancellationToken) =>
        await ReadHashedObjectAsync(Storage, name, cancellationToken);

    internal static async Task<byte[]> ReadHashedObjectAsync(IStorage storage, string name, CancellationToken cancellationToken)
    {
        var bytes = await storage.ReadAsync(name, 0, null, cancellationToken);
        var expected = name[(name.LastIndexOf('/') + 1)..];
        if (BlobId.HashOf(bytes).ToString() != expected)
        {
            throw new IntegrityException($"object '{name}' is damaged: its content does not match its name (SHA-256)") { ObjectName = name };
        }

        return bytes;
    }

    /// <summary>Writes an object named by the SHA-256 of its bytes under <paramref name="prefix"/>.</summary>
    public async Task<BlobId> WriteHashedObjectAsync(string prefix, byte[] bytes, CancellationToken cancellationToken)
    {
        var id = BlobId.HashOf(bytes);
        try
        {
            await Storage.WriteAsync(prefix + id, bytes, cancellationToken);
        }
        catch (StorageException e) when (e.Kind == StorageErrorKind.AlreadyExists)
        {
            // Same name, same content: the object is there already.
        }

        return id;
    }

    /// <summary>
    /// Ids of the objects named <paramref name="prefix"/> + id (unsorted, unread); names after the prefix that are
    /// not an id are skipped. Snapshots and evidence reports are listed this way.
    /// </summary>
    internal async Task<List<BlobId>> ListIdsAsync(string prefix, CancellationToken cancellationToken)
    {
        var ids = new List<BlobId>();
        await foreach (var info in Storage.ListAsync(prefix, cancellationToken))
        {
            if (BlobId.TryParse(info.Name[prefix.Length..], out var id))
            {
                ids.Add(id);
            }
        }

        return ids;
    }

    internal byte[] ConfigBytes => _configBytes;

    /// <summary>Disposes the storage (once: a second call does nothing).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await Storage.DisposeAsync();
        }
    }

    internal static void ValidatePassword(string password)
    {
        if (string.IsNullOrEmpty(password))
        {
            throw new InvalidRequestException("the password is empty: set LIFEBOAT_PASSWORD, use --password-file, or type one at the prompt");
        }
    }

    internal static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);
}

/// <summary>The clock and identity a repository operation runs with (injected for tests).</summary>
public sealed record RepositoryContext(TimeProvider Time, Identity Identity)
{
    /// <summary>
    /// Where a one-line notice goes that is worth telling the person running the command, but is no
    /// error (e.g. "removed 3 locks left by processes that were killed"); null to drop them.
    /// </summary>
    public Action<string>? Notice { get; init; }

    public static RepositoryContext Default { get; } = new(TimeProvider.System, Identity.Current);
}
