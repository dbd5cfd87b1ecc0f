using System.Text;
using System.Text.Json;
using Lifeboat.Repository.Crypto;
using Lifeboat.Repository.Format;

namespace Lifeboat.Repository.Retention;

/// <summary>
/// A hold record (<c>holds/&lt;sha256&gt;</c>, sealed JSON, write-once). <see cref="Action"/>
/// "hold" protects <see cref="Snapshot"/> from <c>forget</c> until <see cref="Until"/> (absent:
/// forever); "release" ends the holds listed in <see cref="Releases"/>. Nothing is ever
/// deleted, so the records are an audit trail: who held or released what, when and why.
/// </summary>
public sealed record HoldRecord
{
    public const string HoldAction = "hold";
    public const string ReleaseAction = "release";

    public int Version { get; init; } = 1;

    public required string Action { get; init; }

    /// <summary>The full snapshot id.</summary>
    public required string Snapshot { get; init; }

    /// <summary>When the hold ends by itself; null for a hold that lasts until released.</summary>
    public DateTimeOffset? Until { get; init; }

    public required string Reason { get; init; }

    public required string User { get; init; }

    public required string Host { get; init; }

    public required DateTimeOffset Time { get; init; }

    /// <summary>For a release: the ids of the hold records it ends.</summary>
    public IReadOnlyList<string>? Releases { get; init; }
}

/// <summary>A hold and its state at some moment.</summary>
public sealed record HoldEntry(BlobId Id, HoldRecord Record, HoldRecord? ReleasedBy)
{
    public bool IsActive(DateTimeOffset now) => ReleasedBy is null && (Record.Until is null || Record.Until > now);

    public string UntilText => Record.Until is { } until ? $"until {until:yyyy-MM-dd HH:mm}Z" : "forever";

    /// <summary>"held until 2026-12-31 00:00Z (migration)" style text.</summary>
    public string Describe() => $"held {UntilText} ({Record.Reason})";
}

/// <summary>Writes and reads hold records.</summary>
public static class HoldStore
{
    public const string Prefix = "holds/";
    private static readonly byte[] Aad = SealedJson.Label("lifeboat hold v1");

    /// <summary>Holds <paramref name="snapshot"/> until <paramref name="until"/> (null: forever).</summary>
    public static async Task<BlobId> HoldAsync(
        BackupRepository repository, BlobId snapshot, DateTimeOffset? until, string reason, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw new InvalidRequestException("a hold needs a reason (--reason TEXT), e.g. --reason 'before the orders migration'");
        }

        var now = repository.Context.Time.GetUtcNow();
        if (until is { } end && end <= now)
        {
            throw new InvalidRequestException($"--until {end:u} is in the past: give a later date, a duration such as 30d, or 'forever'");
        }

        return await WriteAsync(repository, NewRecord(repository, HoldRecord.HoldAction, snapshot, reason) with { Until = until }, cancellationToken);
    }

    /// <summary>Releases every unreleased hold of <paramref name="snapshot"/>; returns the holds released.</summary>
    public static async Task<List<HoldEntry>> ReleaseAsync(BackupRepository repository, BlobId snapshot, string reason, CancellationToken cancellationToken)
    {
        var open = (await LoadAllAsync(repository, cancellationToken))
            .Where(h => h.Record.Snapshot == snapshot.ToString() && h.ReleasedBy is null)
            .ToList();
        if (open.Count == 0)
        {
            throw new NotFoundException($"snapshot {snapshot.Short} has no hold to release: see 'lifeboat holds'");
        }

        var release = NewRecord(repository, HoldRecord.ReleaseAction, snapshot, reason) with
        {
            Releases = [.. open.Select(h => h.Id.ToString())],
        };
        await WriteAsync(repository, release, cancellationToken);
        return open;
    }

    /// <summary>Every hold record (holds with their release, if any), oldest first.</summary>
    public static async Task<List<HoldEntry>> LoadAllAsync(BackupRepository repository, CancellationToken cancellationToken)
    {
        var records = new List<(BlobId Id, HoldRecord Record)>();
        await foreach (var info in repository.Storage.ListAsync(Prefix, cancellationToken))
        {
            if (!BlobId.TryParse(info.Name[Prefix.Length..], out var id))
            {
                continue;
            }

            records.Add((id, await LoadAsync(repository, info.Name, cancellationToken)));
        }

        var releasedBy = new Dictionary<string, HoldRecord>();
        foreach (var (_, record) in records.Where(r => r.Record.Action == HoldRecord.ReleaseAction))
        {
            foreach (var released in record.Releases ?? [])
            {
                releasedBy.TryAdd(released, record);
            }
        }

        return [.. records
            .Where(r => r.Record.Action == HoldRecord.HoldAction)
            .Select(r => new HoldEntry(r.Id, r.Record, releasedBy.GetValueOrDefault(r.Id.ToString())))
            .OrderBy(h => h.Record.Time)
            .ThenBy(h => h.Id)];
    }

    /// <summary>Active holds by snapshot id at <paramref name="now"/>.</summary>
    public static Dictionary<BlobId, List<HoldEntry>> ActiveBySnapshot(IEnumerable<HoldEntry> holds, DateTimeOffset now)
    {
        var result = new Dictionary<BlobId, List<HoldEntry>>();
        foreach (var hold in holds.Where(h => h.IsActive(now)))
        {
            if (BlobId.TryParse(hold.Record.Snapshot, out var snapshot))
            {
                if (!result.TryGetValue(snapshot, out var list))
                {
                    result[snapshot] = list = [];
                }

                list.Add(hold);
            }
        }

        return result;
    }

    private static HoldRecord NewRecord(BackupRepository repository, string action, BlobId snapshot, string reason) => new()
    {
        Action = action,
        Snapshot = snapshot.ToString(),
        Reason = reason,
        User = repository.Context.Identity.User,
        Host = repository.Context.Identity.Host,
        Time = repository.Context.Time.GetUtcNow(),
    };

    private static Task<BlobId> WriteAsync(BackupRepository repository, HoldRecord record, CancellationToken cancellationToken) =>
        SealedJson.WriteAsync(repository, Prefix, Aad, record, cancellationToken);

    // A hold that cannot be read must stop forget rather than be ignored: fail loudly.
    private static Task<HoldRecord> LoadAsync(BackupRepository repository, string name, CancellationToken cancellationToken) =>
        SealedJson.ReadAsync<HoldRecord>(repository, name, Aad, "hold record", cancellationToken);
}
