using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lifeboat.Repository.Crypto;
using Lifeboat.Repository.Format;

namespace Lifeboat.Repository;

/// <summary>
/// A snapshot (<c>snapshots/&lt;sha256&gt;</c>): the commit point of a backup, written last. JSON,
/// sealed. Lists the named streams it holds, each by its tree blobs, with size and SHA-256.
/// </summary>
public sealed record Snapshot
{
    public int Version { get; init; } = 1;

    public required DateTimeOffset Time { get; init; }

    public required string Host { get; init; }

    public required string User { get; init; }

    /// <summary>What was backed up, e.g. <c>stream</c> or <c>postgres</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>The source as shown to people (a stream name or a redacted connection).</summary>
    public required string Source { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    public required IReadOnlyList<SnapshotStream> Streams { get; init; }

    /// <summary>Source-specific facts (e.g. the PostgreSQL manifest).</summary>
    public JsonObject? Manifest { get; init; }

    public required SnapshotSummary Summary { get; init; }

    public required string Program { get; init; }

    /// <summary>
    /// For a snapshot made by <c>copy</c>: the id of the original snapshot (in the repository the
    /// data was first backed up to), so that copying again skips it. Null for an original.
    /// </summary>
    public string? CopiedFrom { get; init; }

    /// <summary>The id of the original snapshot this one is, or is a copy of.</summary>
    public string OriginOf(BlobId id) => CopiedFrom ?? id.ToString();

    public long TotalSize => Streams.Sum(s => s.Size);
}

/// <summary>One stream of a snapshot: its content as tree blobs, size and SHA-256.</summary>
public sealed record SnapshotStream(string Name, long Size, string Sha256, IReadOnlyList<string> Trees);

/// <summary>What a backup did: bytes read, new bytes stored, blobs, time taken.</summary>
public sealed record SnapshotSummary(
    long BytesRead, long NewBytes, long StoredBytes, int NewBlobs, int DuplicateBlobs, int NewPacks, double Seconds);

/// <summary>A snapshot with its id.</summary>
public sealed record SnapshotRecord(BlobId Id, Snapshot Snapshot)
{
    public string ShortId => Id.Short;
}

/// <summary>A snapshot whose object cannot be read (damaged, or not decryptable with this repository's key), and why.</summary>
public sealed record DamagedSnapshot(string Id, string Error)
{
    public string ShortId => Id[..Math.Min(8, Id.Length)];

    /// <summary>The damaged ones of <see cref="SnapshotStore.LoadReadableAsync"/>, ordered by id.</summary>
    public static List<DamagedSnapshot> From(IEnumerable<(BlobId Id, IntegrityException Error)> damaged) =>
        [.. damaged.Select(d => new DamagedSnapshot(d.Id.ToString(), d.Error.Message)).OrderBy(d => d.Id, StringComparer.Ordinal)];

    /// <summary>The short ids, space-separated, as <c>lifeboat forget</c> takes them.</summary>
    public static string Names(IEnumerable<DamagedSnapshot> damaged) => string.Join(' ', damaged.Select(d => d.ShortId));

    /// <summary>What to do about them: <c>run 'lifeboat check' to see what is damaged, then 'lifeboat forget NAMES' to remove them</c> (with <c>--repo</c> when given).</summary>
    public static string Remedy(string names, string? repository = null)
    {
        var repo = repository is null ? "" : $"--repo {repository} ";
        return $"run 'lifeboat {repo}check' to see what is damaged, then 'lifeboat {repo}forget {names}' to remove them";
    }
}

/// <summary>Reads, writes and finds snapshots.</summary>
public static class SnapshotStore
{
    public const string Prefix = "snapshots/";
    private static readonly byte[] Aad = SealedJson.Label("lifeboat snapshot v1");

    public static Task<BlobId> SaveAsync(BackupRepository repository, Snapshot snapshot, CancellationToken cancellationToken) =>
        SealedJson.WriteAsync(repository, Prefix, Aad, snapshot, cancellationToken);

    public static async Task<SnapshotRecord> LoadAsync(BackupRepository repository, BlobId id, CancellationToken cancellationToken) =>
        new(id, await SealedJson.ReadAsync<Snapshot>(repository, Prefix + id, Aad, "snapshot", cancellationToken));

    /// <summary>
    /// Deletes the snapshot object <paramref name="id"/> (its data stays until prune). Needs only the name, so a
    /// snapshot that cannot be read is removed too; one that is gone already is not an error.
    /// </summary>
    public static Task RemoveAsync(BackupRepository repository, BlobId id, CancellationToken cancellationToken) =>
        repository.Storage.DeleteAsync(Prefix + id, cancellationToken);

    /// <summary>Snapshot ids in the repository (unsorted, unread).</summary>
    public static Task<List<BlobId>> ListIdsAsync(BackupRepository repository, CancellationToken cancellationToken) =>
        repository.ListIdsAsync(Prefix, cancellationToken);

    /// <summary>All snapshots, oldest first. Damaged ones are reported through <paramref name="damaged"/>, or thrown when null.</summary>
    public static async Task<List<SnapshotRecord>> LoadAllAsync(BackupRepository repository, List<IntegrityException>? damaged, CancellationToken cancellationToken)
    {
        var (records, errors) = await LoadManyAsync(repository, await ListIdsAsync(repository, cancellationToken), damaged is not null, cancellationToken);
        damaged?.AddRange(errors.Select(e => e.Error));
        return records;
    }

    /// <summary>The snapshots that can be read, oldest first, and the ids of those that cannot, each with why.</summary>
    public static async Task<(List<SnapshotRecord> Records, List<(BlobId Id, IntegrityException Error)> Damaged)> LoadReadableAsync(
        BackupRepository repository, CancellationToken cancellationToken) =>
        await LoadManyAsync(repository, await ListIdsAsync(repository, cancellationToken), true, cancellationToken);

    /// <summary>
    /// Every snapshot except <paramref name="ignore"/>, oldest first, for an operation whose safety
    /// depends on seeing all of them (prune: what a snapshot it cannot read needs is unknown;
    /// forget: a policy cannot judge it). Any damaged snapshot stops the operation before it
    /// changes anything, with one error naming every damaged snapshot and the way past them
    /// (<c>forget ID</c>, which needs only the object's name).
    /// </summary>
    public static async Task<List<SnapshotRecord>> LoadAllOrRefuseAsync(
        BackupRepository repository, string operation, IReadOnlySet<BlobId> ignore, CancellationToken cancellationToken)
    {
        var ids = (await ListIdsAsync(repository, cancellationToken)).Where(id => !ignore.Contains(id)).ToList();
        var (records, damaged) = await LoadManyAsync(repository, ids, true, cancellationToken);
        if (damaged.Count == 0)
        {
            return records;
        }

        var names = string.Join(' ', damaged.Select(d => d.Id.Short).Order(StringComparer.Ordinal));
        throw new IntegrityException(
            $"{operation} stopped before changing anything: {damaged.Count} snapshot(s) cannot be read: {string.Join("; ", damaged.Select(d => d.Error.Message))}. " +
            $"A snapshot that cannot be read cannot be restored either; once 'lifeboat check' has confirmed the damage, remove it with 'lifeboat forget {names}' and run {operation} again",
            damaged[0].Error)
        {
            ObjectName = damaged.Count == 1 ? damaged[0].Error.ObjectName : null,
        };
    }

    /// <summary>
    /// Resolves snapshot ids or unique prefixes (at least 4 hex digits; a leading <c>snapshots/</c>, as
    /// check prints object names, is accepted) against the names of the snapshot objects, without
    /// reading any: so it finds snapshots whose objects are damaged or cannot be decrypted too.
    /// Returns each snapshot once, in the order first named; fails on the first reference that
    /// matches no snapshot or several.
    /// </summary>
    public static async Task<List<BlobId>> ResolveIdsAsync(BackupRepository repository, IReadOnlyList<string> references, CancellationToken cancellationToken)
    {
        var ids = await ListIdsAsync(repository, cancellationToken);
        var resolved = new List<BlobId>();
        foreach (var reference in references)
        {
            var id = Resolve(ids, reference, "");
            if (!resolved.Contains(id))
            {
                resolved.Add(id);
            }
        }

        return resolved;
    }

    /// <summary>Finds a snapshot by id prefix or <c>latest</c> (optionally of one source).</summary>
    public static async Task<SnapshotRecord> FindAsync(BackupRepository repository, string reference, CancellationToken cancellationToken) =>
        IsLatest(reference)
            ? await LatestAsync(repository, cancellationToken)
            : await LoadAsync(repository, Resolve(await ListIdsAsync(repository, cancellationToken), reference, ", or 'latest'"), cancellationToken);

    /// <summary>
    /// The id of the snapshot <see cref="FindAsync"/> would find; for an id prefix without reading the
    /// object, so it finds a snapshot that is damaged or cannot be decrypted too.
    /// </summary>
    public static async Task<BlobId> FindIdAsync(BackupRepository repository, string reference, CancellationToken cancellationToken) =>
        IsLatest(reference)
            ? (await LatestAsync(repository, cancellationToken)).Id
            : Resolve(await ListIdsAsync(repository, cancellationToken), reference, ", or 'latest'");

    private static bool IsLatest(string reference) => string.Equals(reference, "latest", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The newest snapshot. When some snapshot cannot be read, its time is unknown and it may be the
    /// newest: 'latest' then refuses rather than quietly meaning an older one, and says which snapshot
    /// to name instead and how to remove the damaged ones.
    /// </summary>
    private static async Task<SnapshotRecord> LatestAsync(BackupRepository repository, CancellationToken cancellationToken) =>
        await LatestReadableAsync(repository, null, "", cancellationToken)
            ?? throw new NotFoundException("the repository has no snapshots yet");

    /// <summary>
    /// What 'latest' means for a caller that wants the newest snapshot matching <paramref name="match"/>
    /// (all when null; <paramref name="what"/> names them, e.g. "database snapshot"): that snapshot, or null when there is none.
    /// While any snapshot cannot be read, its time and kind are unknown and it may be the newest match:
    /// this then refuses (<see cref="IntegrityException"/>, exit 3) rather than quietly meaning an older
    /// one, naming the damaged snapshots, the newest readable match, and how to go on.
    /// </summary>
    public static async Task<SnapshotRecord?> LatestReadableAsync(
        BackupRepository repository, Func<Snapshot, bool>? match, string what, CancellationToken cancellationToken)
    {
        var (all, damaged) = await LoadReadableAsync(repository, cancellationToken);
        var latest = all.LastOrDefault(r => match is null || match(r.Snapshot));
        if (damaged.Count == 0)
        {
            return latest;
        }

        var names = string.Join(' ', damaged.Select(d => d.Id.Short).Order(StringComparer.Ordinal));
        var of = what.Length > 0 ? " " + what : "";
        var newest = latest is not null
            ? $"; the newest readable one is {latest.ShortId} ({latest.Snapshot.Time.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC, {latest.Snapshot.Source})"
            : $"; no readable{(what.Length > 0 ? " " + what : " snapshot")} is left";
        throw new IntegrityException(
            $"'latest' is unknown: {damaged.Count} snapshot(s) cannot be read ({names}: {damaged[0].Error.Message}), and one of them may be the newest{of}{newest}. " +
            $"Name a snapshot by its id instead, or, once 'lifeboat check' has confirmed the damage, remove the damaged ones with 'lifeboat forget {names}'",
            damaged[0].Error)
        {
            ObjectName = damaged[0].Error.ObjectName,
        };
    }

    private static BlobId Resolve(List<BlobId> ids, string reference, string alternatives)
    {
        var digits = reference.StartsWith(Prefix, StringComparison.Ordinal) ? reference[Prefix.Length..] : reference;
        if (digits.Length < 4 || !digits.All(Uri.IsHexDigit))
        {
            throw new InvalidRequestException($"'{reference}' is not a snapshot id: give at least 4 hex digits of one{alternatives}");
        }

        var matches = ids.Where(id => id.ToString().StartsWith(digits, StringComparison.OrdinalIgnoreCase)).ToList();
        return matches.Count switch
        {
            0 => throw new NotFoundException($"no snapshot id starts with '{digits}': see 'lifeboat snapshots'"),
            1 => matches[0],
            _ => throw new InvalidRequestException($"'{digits}' matches {matches.Count} snapshots: give more digits"),
        };
    }

    private static async Task<(List<SnapshotRecord> Records, List<(BlobId Id, IntegrityException Error)> Damaged)> LoadManyAsync(
        BackupRepository repository, List<BlobId> ids, bool collectDamage, CancellationToken cancellationToken)
    {
        var records = new SnapshotRecord?[ids.Count];
        var errors = new IntegrityException?[ids.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, ids.Count),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                try
                {
                    records[i] = await LoadAsync(repository, ids[i], ct);
                }
                catch (IntegrityException e) when (collectDamage)
                {
                    errors[i] = e;
                }
            });
        var damaged = new List<(BlobId Id, IntegrityException Error)>();
        for (var i = 0; i < ids.Count; i++)
        {
            if (errors[i] is { } error)
            {
                damaged.Add((ids[i], error));
            }
        }

        return ([.. records.OfType<SnapshotRecord>().OrderBy(r => r.Snapshot.Time).ThenBy(r => r.Id)], damaged);
    }
}
