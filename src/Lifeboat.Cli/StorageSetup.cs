using Lifeboat.Repository;
using Lifeboat.Storage;
using Lifeboat.Storage.S3;

namespace Lifeboat.Cli;

/// <summary>
/// Storage settings a repository remembers: <c>init</c> probes the store (<see cref="StorageProbe"/>) and
/// picks the S3 settings it turns out to need; they go into the plaintext config
/// (<see cref="RepositoryConfig.Storage"/>), and every later command applies them unless <c>-o</c> names
/// the key.
/// </summary>
internal static class StorageSetup
{
    public const string ChecksumKey = "s3.checksum";
    public const string NoOverwriteKey = "s3.no-overwrite";

    /// <summary>The storage for a new repository, and the settings to remember.</summary>
    public sealed record Prepared(IStorage Storage, IReadOnlyDictionary<string, string> Chosen);

    /// <summary>
    /// Creates the bucket or container when it is missing, then probes the store and adjusts: S3
    /// checksums to <c>when_required</c> when uploads come back altered, and no-overwrite to
    /// <c>head-then-put</c> when <c>If-None-Match: *</c> is ignored. Settings named by <c>-o</c> are kept as given,
    /// and <see cref="ChecksumKey"/> and <see cref="NoOverwriteKey"/> given so are remembered as well.
    /// </summary>
    public static async Task<Prepared> PrepareForInitAsync(string location, StorageSettings settings, Action<string> info, CancellationToken cancellationToken)
    {
        var backend = StorageFactory.CreateBackend(location, settings);
        if (backend is IContainerCreation creation)
        {
            try
            {
                if (await creation.CreateContainerIfMissingAsync(cancellationToken))
                {
                    info($"created {(S3RepositoryUrl.IsMatch(location) ? "bucket" : "container")} for {backend.Location}");
                }
            }
            catch
            {
                await backend.DisposeAsync();
                throw;
            }
        }

        var storage = StorageFactory.Wrap(backend, settings);
        if (await StatOrDisposeAsync(storage, cancellationToken) is not null)
        {
            // said before the probe writes anything or prints what it chose
            await storage.DisposeAsync();
            throw new RepositoryExistsException($"there is a repository at {storage.Location} already");
        }

        // the store's settings given to init are the store's too: remembered like the probe's, so that a later
        // command without the -o cannot write with the default mode the user knew the store needs
        var s3 = S3RepositoryUrl.IsMatch(location);
        var chosen = settings.Options.Where(o => s3 && o.Key is (ChecksumKey or NoOverwriteKey)).ToDictionary(StringComparer.Ordinal);
        var result = await ProbeAsync(storage, cancellationToken);
        if (!result.ReadsBackIntact && s3 && !settings.Options.ContainsKey(ChecksumKey))
        {
            chosen[ChecksumKey] = "when_required";
            (storage, result) = await ReopenAsync(storage, location, settings, chosen, cancellationToken);
            if (result.ReadsBackIntact)
            {
                info($"the store altered an upload sent with the SDK's default checksums: this repository uses -o {ChecksumKey}=when_required (remembered in its config)");
            }
        }

        if (!result.ReadsBackIntact)
        {
            await storage.DisposeAsync();
            throw new IntegrityException(AlteredMessage(storage.Location, s3, settings.Options.GetValueOrDefault(ChecksumKey) ?? chosen.GetValueOrDefault(ChecksumKey)));
        }

        if (!result.RefusesOverwrite && s3 && !settings.Options.ContainsKey(NoOverwriteKey))
        {
            chosen[NoOverwriteKey] = "head-then-put";
            (storage, result) = await ReopenAsync(storage, location, settings, chosen, cancellationToken);
            info($"warning: the store ignores If-None-Match: *, so this repository uses -o {NoOverwriteKey}=head-then-put (remembered in its config): " +
                "two machines writing to it at the same time are not protected from each other");
        }

        if (!result.RefusesOverwrite)
        {
            info($"warning: the store at {storage.Location} overwrote an object where it should have refused: two machines writing to this repository at the same time are not protected from each other");
        }

        return new Prepared(storage, chosen);
    }

    /// <summary>
    /// <paramref name="settings"/> plus the settings the repository remembers, where <c>-o</c> does not name the key.
    /// Throws when the config names a key this lifeboat does not know (a newer release wrote it).
    /// </summary>
    public static StorageSettings WithRemembered(StorageSettings settings, IReadOnlyDictionary<string, string>? remembered, string location)
    {
        if (remembered is null || remembered.Count == 0)
        {
            return settings;
        }

        var merged = new Dictionary<string, string>(settings.Options, StringComparer.Ordinal);
        foreach (var (key, value) in remembered)
        {
            if (!StorageFactory.KnownOptions.ContainsKey(key))
            {
                throw new InvalidRequestException(
                    $"the config of {location} asks for the storage setting {key}={value}, which this lifeboat does not know: use the lifeboat release that created the repository, or a newer one");
            }

            merged.TryAdd(key, value);
        }

        return settings with { Options = merged };
    }

    /// <summary>
    /// Opens the repository at <paramref name="location"/> with <paramref name="settings"/> plus those it remembers
    /// (reopening the storage when they differ). The repository is the caller's to dispose; when opening fails the
    /// storage is disposed here.
    /// </summary>
    public static async Task<BackupRepository> OpenRepositoryAsync(
        string location, StorageSettings settings, string password, RepositoryContext context, CancellationToken cancellationToken)
    {
        var storage = StorageFactory.Create(location, settings);
        RepositoryConfig config;
        byte[] configBytes;
        StorageSettings remembered;
        try
        {
            (config, configBytes) = await BackupRepository.ReadConfigAsync(storage, cancellationToken);
            remembered = WithRemembered(settings, config.Storage, storage.Location);
        }
        catch
        {
            await storage.DisposeAsync();
            throw;
        }

        if (!ReferenceEquals(remembered, settings))
        {
            // the store needs settings init found out (e.g. s3.checksum=when_required): reopen with them
            await storage.DisposeAsync();
            storage = StorageFactory.Create(location, remembered);
        }

        try
        {
            return await BackupRepository.OpenAsync(storage, configBytes, password, context, cancellationToken);
        }
        catch
        {
            await storage.DisposeAsync();
            throw;
        }
    }

    private static async Task<ObjectInfo?> StatOrDisposeAsync(IStorage storage, CancellationToken cancellationToken)
    {
        try
        {
            return await storage.StatAsync(BackupRepository.ConfigName, cancellationToken);
        }
        catch
        {
            await storage.DisposeAsync();
            throw;
        }
    }

    private static async Task<StorageProbeResult> ProbeAsync(IStorage storage, CancellationToken cancellationToken)
    {
        try
        {
            return await StorageProbe.RunAsync(storage, cancellationToken);
        }
        catch
        {
            await storage.DisposeAsync();
            throw;
        }
    }

    private static async Task<(IStorage Storage, StorageProbeResult Result)> ReopenAsync(
        IStorage old, string location, StorageSettings settings, Dictionary<string, string> chosen, CancellationToken cancellationToken)
    {
        await old.DisposeAsync();
        var storage = StorageFactory.Create(location, WithRemembered(settings, chosen, location));
        return (storage, await ProbeAsync(storage, cancellationToken));
    }

    private static string AlteredMessage(string location, bool s3, string? checksum)
    {
        var start = $"the storage at {location} returned other bytes for a test object ({StorageProbe.Prefix}...) than were written to it";
        return !s3
            ? $"{start}: it cannot hold a repository; nothing was created (check the storage and anything between it and this machine)"
            : checksum == "when_required"
            ? $"{start}, also with -o {ChecksumKey}=when_required: it cannot hold a repository; nothing was created (check the provider, and any proxy in between)"
            : $"{start} with -o {ChecksumKey}={checksum ?? "when_supported"}: use -o {ChecksumKey}=when_required (docs/storage.md); nothing was created";
    }
}
