using Lifeboat.Repository;

namespace Lifeboat.Operations;

/// <summary>How copying a new snapshot to one further repository ended.</summary>
/// <param name="Location">The repository copied to.</param>
/// <param name="Result">The copy's result, when it ran (it may have run and still failed: the snapshot could not be read back).</param>
/// <param name="Snapshot">The copy's id in that repository, when it succeeded.</param>
/// <param name="Failure">Why the repository could not be opened or the copy failed; null when it succeeded.</param>
/// <param name="Message">What failed, in a sentence naming both repositories; null when it succeeded.</param>
public sealed record SnapshotCopyOutcome(string Location, CopyResult? Result, string? Snapshot, Exception? Failure, string? Message)
{
    /// <summary>True when the snapshot is in <see cref="Location"/> now.</summary>
    public bool Succeeded => Failure is null;
}

/// <summary>
/// The copies of a new snapshot to further repositories (<c>backup --also-to</c>), handed out by a
/// backup (<see cref="DatabaseBackupResult.Copies"/>, <see cref="StreamBackupResult.Copies"/>). Each
/// repository was opened before the backup started, but a failure there never stops the backup: the
/// snapshot is saved in the first repository, then copied to each other one (<see cref="RepositoryCopy"/>),
/// and each outcome keeps its exception for the caller to report.
/// </summary>
public sealed class SnapshotCopies
{
    private readonly BackupRepository _primary;
    private readonly SnapshotRecord _record;
    private readonly IReadOnlyList<Target> _targets;

    internal SnapshotCopies(BackupRepository primary, SnapshotRecord record, IReadOnlyList<Target> targets)
    {
        _primary = primary;
        _record = record;
        _targets = targets;
    }

    /// <summary>True when there is a repository to copy to.</summary>
    public bool Any => _targets.Count > 0;

    /// <summary>
    /// Opens every repository in order; a failure is kept for the outcome, except an interruption and a
    /// request that is wrong in itself (<see cref="InvalidRequestException"/>, e.g. an unusable location), which are thrown.
    /// </summary>
    internal static async Task<IReadOnlyList<Target>> OpenAsync(IReadOnlyList<IRepositoryOpener> openers, CancellationToken cancellationToken)
    {
        var targets = new List<Target>();
        foreach (var opener in openers)
        {
            try
            {
                targets.Add(new Target(opener.Location, await opener.OpenAsync(cancellationToken), null));
            }
            catch (Exception e) when (e is not OperationCanceledException and not InvalidRequestException)
            {
                targets.Add(new Target(opener.Location, null, e));
            }
        }

        return targets;
    }

    /// <summary>
    /// Copies the snapshot to every repository, one after the other, and returns one outcome each, in
    /// order. <paramref name="copying"/> is told how each copy goes (for a progress display);
    /// <see cref="CopyOptions.Snapshots"/> is replaced by the new snapshot.
    /// </summary>
    public async Task<IReadOnlyList<SnapshotCopyOutcome>> RunAsync(
        CopyOptions options, IProgress<CopyProgress>? copying, CancellationToken cancellationToken)
    {
        var outcomes = new List<SnapshotCopyOutcome>();
        foreach (var target in _targets)
        {
            var failure = target.OpenError;
            CopyResult? result = null;
            string? copyId = null;
            if (target.Repository is { } repository)
            {
                try
                {
                    var copy = new RepositoryCopy(_primary, repository, options with { Snapshots = [_record.Id.ToString()] }, copying);
                    result = await copy.RunAsync(cancellationToken);

                    // a damaged snapshot in the other repository is named in the result; it does not stop this copy
                    copyId = result.Snapshots.Count > 0
                        ? result.Snapshots[0].Target
                        : throw new IntegrityException($"snapshot {_record.ShortId} cannot be read back from {_primary.Storage.Location}: {result.Damaged[0].Error}");
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    failure = e;
                }
            }

            outcomes.Add(failure is null
                ? new SnapshotCopyOutcome(target.Location, result, copyId, null, null)
                : new SnapshotCopyOutcome(target.Location, result, null, failure,
                    $"snapshot {_record.ShortId} is saved in {_primary.Storage.Location}, but copying it to {target.Location} failed: {failure.Message}"));
        }

        return outcomes;
    }

    /// <summary>A repository to copy to: opened, or why it could not be.</summary>
    internal sealed record Target(string Location, BackupRepository? Repository, Exception? OpenError);
}
