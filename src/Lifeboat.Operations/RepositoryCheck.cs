using Lifeboat.Operations.Audit;
using Lifeboat.Operations.Evidence;
using Lifeboat.Repository;
using Lifeboat.Repository.Check;

namespace Lifeboat.Operations;

/// <summary>Runs <c>check</c> under a shared lock.</summary>
/// <param name="progress">Told of the packs read with read-data (<see cref="CheckProgress"/>).</param>
public sealed class RepositoryCheck(BackupRepository repository, IProgress<CheckProgress>? progress = null)
{

    /// <summary>Checks, then records evidence and an audit record (failed when problems were found).</summary>
    public Task<CheckReport> RunAsync(CheckOptions options, CancellationToken cancellationToken)
    {
        var started = repository.Context.Time.GetUtcNow();
        return OperationAudit.RunAsync(repository, "check", ct => RunCoreAsync(options, ct),
            (report, ct) => OperationEvidence.ForCheckAsync(repository, report, options, started, ct), cancellationToken);
    }

    private async Task<CheckReport> RunCoreAsync(CheckOptions options, CancellationToken cancellationToken)
    {
        await using var held = await Locks.AcquireAsync(repository, exclusive: false, "check", cancellationToken);
        return await new Checker(repository, progress).RunAsync(options, cancellationToken);
    }
}
