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

/// <summary>Reads, writes and finds snapshots.</summary>
public static class SnapshotStore
{
    public const string Prefix = "snapshots/";
    private static readonly byte[] Aad = SealedJson.Label("lifeboat snapshot v1");

    public static Task<BlobId> SaveAsync(Repository repository, Snapshot snapshot, CancellationToken cancellationToken) =>
        SealedJson.WriteAsync(repository, Prefix, Aad, snapshot, cancellationToken);

    public static async Task<SnapshotRecord> LoadAsync(Repository repository, BlobId id, CancellationToken cancellationToken) =>
        new(id, await SealedJson.ReadAsync<Snapshot>(repository, Prefix + id, Aad, "snapshot", cancellationToken));

    /// <summary>Snapshot ids in the repository (unsorted, unread).</summary>
    public static async Task<List<BlobId>> ListIdsAsync(Repository repository, CancellationToken cancellationToken)
    {
        var ids = new List<BlobId>();
        await foreach (var info in repository.Storage.ListAsync(Prefix, cancellationToken))
        {
            if (BlobId.TryParse(info.Name[Prefix.Length..], out var id))
            {
                ids.Add(id);
            }
        }

        return ids;
    }

    /// <summary>All snapshots, oldest first. Damaged ones are reported through <paramref name="damaged"/>, or thrown when null.</summary>
    public static async Task<List<SnapshotRecord>> LoadAllAsync(Repository repository, List<IntegrityException>? damaged, CancellationToken cancellationToken)
    {
        var ids = await ListIdsAsync(repository, cancellationToken);
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
                catch (IntegrityException e) when (damaged is not null)
                {
                    errors[i] = e;
                }
            });
        damaged?.AddRange(errors.OfType<IntegrityException>());
        return [.. records.OfType<SnapshotRecord>().OrderBy(r => r.Snapshot.Time).ThenBy(r => r.Id)];
    }

    /// <summary>Finds a snapshot by id prefix or <c>latest</c> (optionally of one source).</summary>
    public static async Task<SnapshotRecord> FindAsync(Repository repository, string reference, CancellationToken cancellationToken)
    {
        if (string.Equals(reference, "latest", StringComparison.OrdinalIgnoreCase))
        {
            var all = await LoadAllAsync(repository, null, cancellationToken);
            return all.Count > 0 ? all[^1] : throw new NotFoundException("the repository has no snapshots yet");
        }

        if (reference.Length < 4 || !reference.All(Uri.IsHexDigit))
        {
            throw new InvalidRequestException($"'{reference}' is not a snapshot id: give at least 4 hex digits of one, or 'latest'");
        }

        var ids = await ListIdsAsync(repository, cancellationToken);
        var matches = ids.Where(id => id.ToString().StartsWith(reference, StringComparison.OrdinalIgnoreCase)).ToList();
        return matches.Count switch
        {
            0 => throw new NotFoundException($"no snapshot id starts with '{reference}': see 'lifeboat snapshots'"),
            1 => await LoadAsync(repository, matches[0], cancellationToken),
            _ => throw new InvalidRequestException($"'{reference}' matches {matches.Count} snapshots: give more digits"),
        };
    }
}
