using System.Globalization;
using Lifeboat.Repository;

namespace Lifeboat.Operations;

/// <summary>
/// The warning for a backup far smaller than the previous one of the same source (a dump cut short,
/// a producer that failed half-way, a database emptied by mistake): not a failure, but said on stderr,
/// in --json and in the evidence. The earlier snapshots are read while the backup runs, and a failure
/// to read them never fails the backup: the warning then says the sizes could not be compared.
/// </summary>
public sealed class SizeDrop
{
    /// <summary>Below this fraction of the previous snapshot's size, a backup is warned about.</summary>
    public const double Threshold = 0.5;

    private readonly Task<(List<SnapshotRecord>? Candidates, string? Error)> _candidates;

    private SizeDrop(Task<(List<SnapshotRecord>? Candidates, string? Error)> candidates) => _candidates = candidates;

    /// <summary>
    /// Starts reading the readable snapshots of <paramref name="kind"/> and <paramref name="source"/>
    /// that <paramref name="comparable"/> accepts (all when null; e.g. the same table selection).
    /// </summary>
    public static SizeDrop Start(
        BackupRepository repository, string kind, string source, Func<Snapshot, bool>? comparable, CancellationToken cancellationToken) =>
        new(LoadAsync(repository, kind, source, comparable, cancellationToken));

    /// <summary>
    /// The warnings for the committed <paramref name="record"/>, compared with the newest of the candidates
    /// made at or before its time; <paramref name="advice"/> ends the warning (what to check). None when
    /// there is no earlier snapshot or the new one is not far smaller.
    /// </summary>
    public async Task<IReadOnlyList<string>> WarningsAsync(SnapshotRecord record, string advice)
    {
        var (candidates, error) = await _candidates;
        if (candidates is null)
        {
            return [$"the size of '{record.Snapshot.Source}' was not compared with its previous snapshot, which could not be read: {error}"];
        }

        var previous = candidates
            .Where(r => r.Id != record.Id && r.Snapshot.Time <= record.Snapshot.Time)
            .MaxBy(r => r.Snapshot.Time);
        return previous is null ? [] : Compare(record, previous, advice);
    }

    /// <summary>The warning when <paramref name="record"/> is below <see cref="Threshold"/> of <paramref name="previous"/>'s bytes read.</summary>
    public static IReadOnlyList<string> Compare(SnapshotRecord record, SnapshotRecord previous, string advice)
    {
        var now = record.Snapshot.Summary.BytesRead;
        var before = previous.Snapshot.Summary.BytesRead;
        if (before == 0 || now >= before * Threshold)
        {
            return [];
        }

        return [string.Create(CultureInfo.InvariantCulture,
            $"'{record.Snapshot.Source}' is {now:N0} bytes, {100.0 * now / before:0.#}% of the {before:N0} bytes of its previous snapshot {previous.ShortId} " +
            $"({previous.Snapshot.Time.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC): {advice}")];
    }

    private static async Task<(List<SnapshotRecord>? Candidates, string? Error)> LoadAsync(
        BackupRepository repository, string kind, string source, Func<Snapshot, bool>? comparable, CancellationToken cancellationToken)
    {
        try
        {
            var (records, _) = await SnapshotStore.LoadReadableAsync(repository, cancellationToken);
            return ([.. records.Where(r => r.Snapshot.Kind == kind && r.Snapshot.Source == source && (comparable is null || comparable(r.Snapshot)))], null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (null, e.Message);
        }
    }
}
