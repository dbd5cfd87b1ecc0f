using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lifeboat.Repository.Crypto;
using Lifeboat.Repository.Format;

namespace Lifeboat.Repository.Evidence;

/// <summary>
/// What <c>evidence/&lt;id&gt;</c> holds: a report body (exact bytes, JSON) with its SHA-256 and the
/// facts needed to list it without parsing the body.
/// </summary>
public sealed record EvidenceEnvelope
{
    /// <summary>Version of this envelope's shape.</summary>
    public int Version { get; init; } = 1;

    /// <summary><c>backup</c>, <c>check</c> or <c>drill</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>When the report was made.</summary>
    public required DateTimeOffset Created { get; init; }

    /// <summary>Whether everything the report covers passed.</summary>
    public required bool Passed { get; init; }

    /// <summary>The snapshot the report is about, if any.</summary>
    public string? Snapshot { get; init; }

    /// <summary>The snapshot's source, if any.</summary>
    public string? Source { get; init; }

    /// <summary>SHA-256 (hex) of <see cref="Body"/>.</summary>
    public required string Sha256 { get; init; }

    /// <summary>The report, UTF-8 JSON, exactly as hashed.</summary>
    public required byte[] Body { get; init; }

    /// <summary>Wraps a body, computing its hash.</summary>
    public static EvidenceEnvelope Create(string kind, DateTimeOffset created, bool passed, string? snapshot, string? source, byte[] body) => new()
    {
        Kind = kind,
        Created = created,
        Passed = passed,
        Snapshot = snapshot,
        Source = source,
        Sha256 = Convert.ToHexStringLower(SHA256.HashData(body)),
        Body = body,
    };
}

/// <summary>An evidence report in the repository: its id (SHA-256 of the stored object) and envelope.</summary>
public sealed record EvidenceEntry(BlobId Id, EvidenceEnvelope Envelope)
{
    /// <summary>The first 8 hex digits of the id.</summary>
    public string ShortId => Id.Short;
}

/// <summary>
/// Stores evidence reports as sealed objects <c>evidence/&lt;SHA-256 of the stored bytes&gt;</c>
/// (aad <c>lifeboat evidence v1</c>). Loading checks the object against its name, authenticates it,
/// and checks the body against the SHA-256 recorded when it was made.
/// </summary>
public static class EvidenceStore
{
    /// <summary>Where evidence lives.</summary>
    public const string Prefix = "evidence/";

    private static readonly byte[] Aad = SealedJson.Label("lifeboat evidence v1");

    /// <summary>Seals and writes a report; returns its id.</summary>
    public static Task<BlobId> SaveAsync(BackupRepository repository, EvidenceEnvelope envelope, CancellationToken cancellationToken) =>
        SealedJson.WriteAsync(repository, Prefix, Aad, envelope, cancellationToken);

    /// <summary>Reads and verifies one report.</summary>
    public static async Task<EvidenceEntry> LoadAsync(BackupRepository repository, BlobId id, CancellationToken cancellationToken)
    {
        var name = Prefix + id;
        var envelope = await SealedJson.ReadAsync<EvidenceEnvelope>(repository, name, Aad, "evidence", cancellationToken);

        var actual = Convert.ToHexStringLower(SHA256.HashData(envelope.Body));
        if (actual != envelope.Sha256)
        {
            throw new IntegrityException($"evidence '{name}': the report's SHA-256 is {actual}, not the {envelope.Sha256} recorded when it was made")
            {
                ObjectName = name,
            };
        }

        return new EvidenceEntry(id, envelope);
    }

    /// <summary>Every report, oldest first; damaged ones go to <paramref name="damaged"/>.</summary>
    public static async Task<List<EvidenceEntry>> LoadAllAsync(BackupRepository repository, List<IntegrityException> damaged, CancellationToken cancellationToken)
    {
        var ids = await ListIdsAsync(repository, cancellationToken);
        var entries = new EvidenceEntry?[ids.Count];
        var errors = new IntegrityException?[ids.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, ids.Count),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                try
                {
                    entries[i] = await LoadAsync(repository, ids[i], ct);
                }
                catch (IntegrityException e)
                {
                    errors[i] = e;
                }
            });
        damaged.AddRange(errors.OfType<IntegrityException>());
        return [.. entries.OfType<EvidenceEntry>().OrderBy(e => e.Envelope.Created).ThenBy(e => e.Id)];
    }

    /// <summary>Finds a report by id prefix (at least 4 hex digits) or <c>latest</c>.</summary>
    public static async Task<EvidenceEntry> FindAsync(BackupRepository repository, string reference, CancellationToken cancellationToken)
    {
        if (string.Equals(reference, "latest", StringComparison.OrdinalIgnoreCase))
        {
            var all = await LoadAllAsync(repository, [], cancellationToken);
            return all.Count > 0 ? all[^1] : throw new NotFoundException("the repository has no evidence reports yet: run a backup, check or drill");
        }

        if (reference.Length < 4 || !reference.All(Uri.IsHexDigit))
        {
            throw new InvalidRequestException($"'{reference}' is not an evidence id: give at least 4 hex digits of one, or 'latest'");
        }

        var matches = (await ListIdsAsync(repository, cancellationToken))
            .Where(id => id.ToString().StartsWith(reference, StringComparison.OrdinalIgnoreCase)).ToList();
        return matches.Count switch
        {
            0 => throw new NotFoundException($"no evidence id starts with '{reference}': see 'lifeboat evidence list'"),
            1 => await LoadAsync(repository, matches[0], cancellationToken),
            _ => throw new InvalidRequestException($"'{reference}' matches {matches.Count} evidence reports: give more digits"),
        };
    }

    private static Task<List<BlobId>> ListIdsAsync(BackupRepository repository, CancellationToken cancellationToken) =>
        repository.ListIdsAsync(Prefix, cancellationToken);
}
